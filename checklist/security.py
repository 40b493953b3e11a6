"""Security items: secrets, DEBUG, `check --deploy`, headers and cookies as served, /metrics, image users."""

import re
import urllib.error
import urllib.request

from checklist import configs
from checklist.core import FAIL, PASS, REPO, WARN, Deployment, Result

# Deployment checks that only hold once TLS terminates in front of nginx (DJANGO_SECURE_SSL_REDIRECT
# and DJANGO_SECURE_COOKIES true): on a plain-HTTP site they are expected, not defects.
TLS_ONLY_CHECKS = {"security.W008", "security.W012", "security.W016"}
ONE_YEAR = 31_536_000


def secret_key(deployment: Deployment) -> Result:
    problem = deployment.probe["secret_key_problem"]
    checked = "DJANGO_SECRET_KEY of the running app: set, ≥ 50 characters, not a known default"
    if problem:
        return Result(FAIL, f"{checked}: {problem}", "set DJANGO_SECRET_KEY to `secrets.token_urlsafe(50)`")
    return Result(PASS, checked)


def debug_off(deployment: Deployment) -> Result:
    probe = deployment.probe
    checked = f"DEBUG of the running app ({probe['settings_module']})"
    if probe["debug"]:
        return Result(
            FAIL, f"{checked} is on", "DJANGO_SETTINGS_MODULE=config.settings.production, DJANGO_DEBUG=false"
        )
    return Result(PASS, f"{checked} is off")


def check_deploy(deployment: Deployment) -> Result:
    warnings = deployment.probe["deploy_warnings"]
    checked = "`manage.py check --deploy` in the running app"
    if isinstance(warnings, dict):
        return Result(FAIL, f"{checked}: the checks did not run ({warnings['error']})", "see the app's log")
    defects = [
        f"{id_} {text}" for id_, text in warnings if not (id_ in TLS_ONLY_CHECKS and not deployment.is_https)
    ]
    tls_only = sorted(id_ for id_, _ in warnings if id_ in TLS_ONLY_CHECKS and not deployment.is_https)
    if defects:
        return Result(
            FAIL, f"{checked}: {'; '.join(defects)}", "fix each warning (`manage.py check --deploy`)"
        )
    if tls_only:
        return Result(
            WARN,
            f"{checked}: only {', '.join(tls_only)} (SSL redirect, Secure cookies), off on plain HTTP",
            "behind TLS set DJANGO_SECURE_SSL_REDIRECT=true and DJANGO_SECURE_COOKIES=true",
        )
    return Result(PASS, f"{checked}: no warning")


def hsts(deployment: Deployment) -> Result:
    seconds = deployment.probe["hsts_seconds"]
    if seconds < ONE_YEAR:
        return Result(
            FAIL,
            f"SECURE_HSTS_SECONDS of the running app is {seconds}, less than a year",
            "set DJANGO_SECURE_HSTS_SECONDS=31536000",
        )
    if not deployment.is_https:
        return Result(
            WARN,
            f"HSTS configured ({seconds} s); browsers take it over HTTPS only, {deployment.url} is HTTP",
            "run the checklist against the https:// URL of a deployment with TLS in front of nginx",
        )
    served = deployment.get("/explore/").header("Strict-Transport-Security")
    match = re.search(r"max-age=(\d+)", served)
    if not match or int(match.group(1)) < ONE_YEAR:
        return Result(FAIL, f"Strict-Transport-Security served: {served or 'none'}", "serve HSTS ≥ 1 year")
    return Result(PASS, f"Strict-Transport-Security served: {served}")


def security_headers(deployment: Deployment) -> Result:
    problems, pages = [], ("/explore/", "/accounts/login/")
    for path in pages:
        response = deployment.get(path)
        csp = response.header("Content-Security-Policy")
        if not csp:
            problems.append(f"{path}: no Content-Security-Policy")
        else:
            if "unsafe-inline" in csp or "unsafe-eval" in csp:
                problems.append(f"{path}: the CSP allows unsafe-inline/unsafe-eval")
            if "frame-ancestors" not in csp:
                problems.append(f"{path}: the CSP has no frame-ancestors")
        if response.header("X-Content-Type-Options").lower() != "nosniff":
            problems.append(f"{path}: X-Content-Type-Options is not nosniff")
        if not response.header("Referrer-Policy"):
            problems.append(f"{path}: no Referrer-Policy")
        for name in ("X-Frame-Options", "Cross-Origin-Opener-Policy", "Content-Security-Policy"):
            if len(response.all(name)) > 1:
                problems.append(f"{path}: {name} is sent twice")
    checked = (
        f"headers served on {', '.join(pages)}: CSP (frame-ancestors, no unsafe-inline), nosniff, "
        "Referrer-Policy, none twice"
    )
    if problems:
        return Result(
            FAIL,
            f"{checked}: {'; '.join(problems)}",
            "nginx/security-headers.conf (every response includes it)",
        )
    return Result(PASS, checked)


def _cookie_flags(set_cookie: str) -> dict:
    attributes = [part.strip().lower() for part in set_cookie.split(";")[1:]]
    samesite = next((a.split("=", 1)[1] for a in attributes if a.startswith("samesite=")), "")
    return {"secure": "secure" in attributes, "httponly": "httponly" in attributes, "samesite": samesite}


def cookies(deployment: Deployment) -> Result:
    configured = deployment.probe["cookies"]
    login = deployment.get("/accounts/login/").all("Set-Cookie")
    served = next((value for value in login if value.startswith("csrftoken=")), "")
    flags = {name.lower(): values for name, values in configured.items()}
    if served:
        flags["served csrftoken"] = _cookie_flags(served)
    problems = [
        f"{name}: HttpOnly={values['httponly']} SameSite={values['samesite'] or 'none'}"
        for name, values in flags.items()
        if not values["httponly"] or str(values["samesite"]).lower() not in ("lax", "strict")
    ]
    if not served:
        problems.append("the login page set no csrftoken cookie")
    checked = "session and CSRF cookies (settings; csrftoken as served): HttpOnly, SameSite, Secure"
    if problems:
        return Result(
            FAIL, f"{checked}: {'; '.join(problems)}", "production settings set them (DJANGO_SETTINGS_MODULE)"
        )
    insecure = [name for name, values in flags.items() if not values["secure"]]
    if insecure and deployment.is_https:
        return Result(FAIL, f"{checked}: not Secure: {', '.join(insecure)}", "set DJANGO_SECURE_COOKIES=true")
    if insecure:
        return Result(
            WARN,
            f"{checked}: HttpOnly, SameSite=Lax; not Secure on this plain-HTTP site ({', '.join(insecure)})",
            "behind TLS set DJANGO_SECURE_COOKIES=true and check the https:// URL",
        )
    return Result(PASS, checked)


def _replica_metrics_status(instance: str) -> str:
    try:
        with urllib.request.urlopen(f"http://{instance}/metrics", timeout=3) as response:
            return str(response.status)
    except urllib.error.HTTPError as error:
        return str(error.code)
    except OSError:
        return "unreachable"


def metrics_not_public(deployment: Deployment) -> Result:
    """/metrics is not routed by nginx, and a replica asked directly without the token refuses."""
    public = deployment.get("/metrics").status
    instances = [series["metric"]["instance"] for series in deployment.query('up{job="web"}')]
    direct = {instance: _replica_metrics_status(instance) for instance in instances}
    answers = ", ".join(f"{instance} {status}" for instance, status in sorted(direct.items()))
    checked = f"public GET /metrics answers {public}; replicas without the token: {answers or 'none known'}"
    if public == 200:
        return Result(FAIL, checked, "nginx/nginx.conf: `location = /metrics { return 404; }`")
    if "200" in direct.values():
        return Result(
            FAIL, checked, "set METRICS_TOKEN on the replicas (Prometheus sends it as a bearer token)"
        )
    if not direct or set(direct.values()) == {"unreachable"}:
        return Result(
            WARN,
            f"{checked} (the replicas are on a network this machine does not reach)",
            "run the checklist where the replicas are reachable to check METRICS_TOKEN",
        )
    return Result(PASS, checked)


def containers_non_root(deployment: Deployment) -> Result:
    """The runtime stages of the Dockerfile: the last USER of each is neither root nor absent."""
    problems, checked_stages = [], []
    for name, instructions in configs.dockerfile_stages(REPO / "Dockerfile").items():
        if name == "wheels":  # a build stage: nothing of it runs
            continue
        checked_stages.append(name)
        users = [arguments for instruction, arguments in instructions if instruction == "USER"]
        if not users or users[-1].split(":")[0] in ("root", "0"):
            problems.append(f"stage {name} runs as root")
    checked = f"Dockerfile runtime stages ({', '.join(checked_stages)}) end with a non-root USER"
    if problems:
        return Result(
            FAIL,
            f"{checked}: {'; '.join(problems)}",
            "add `USER <uid>:<gid>` with the paths it writes owned by it",
        )
    return Result(PASS, checked)
