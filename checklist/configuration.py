"""Reliability and documentation items, read from the configs of the three runtimes (Compose,
Terraform, the native stack) as their own tools see them (checklist/configs.py); tests/deploy
validates the same files with those tools."""

from checklist import configs
from checklist.core import FAIL, PASS, REPO, Deployment, Result


def _one_shot(service: dict) -> bool:
    return str(service.get("restart", "")).lower() in ("no", "false")


def _image_has_healthcheck(service: dict) -> bool:
    """A service built here inherits the HEALTHCHECK of its Dockerfile (stage)."""
    build = service.get("build")
    if not isinstance(build, dict):
        return False
    dockerfile = REPO / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
    return dockerfile.is_file() and configs.healthcheck_in_image(dockerfile, build.get("target"))


def _compose_healthchecked(service: dict) -> bool:
    healthcheck = service.get("healthcheck") or {}
    return bool(healthcheck and not healthcheck.get("disable")) or _image_has_healthcheck(service)


def _terraform_one_shot(container: dict) -> bool:
    return container.get("must_run") is False


def _native_unprobed() -> list[str]:
    """Services of the native stack that listen but declare no readiness probe (a loop with no port
    is ready while supervisor keeps it running)."""
    from stack import registry

    return [service.name for service in registry.SERVICES if service.ports and service.ready is None]


def healthchecks(deployment: Deployment) -> Result:
    problems = [
        f"Compose {name}"
        for name, service in configs.compose_services().items()
        if not _one_shot(service) and not _compose_healthchecked(service)
    ]
    for name, container in configs.terraform_containers().items():
        tests = [check.get("test") for check in container.get("healthcheck", [])]
        if not _terraform_one_shot(container) and (not tests or ["NONE"] in tests):
            problems.append(f"Terraform {name}")
    problems += [f"native {name}" for name in _native_unprobed()]
    checked = (
        "every long-running service has a healthcheck: Compose (or its image), Terraform, native stack probes"
    )
    if problems:
        return Result(FAIL, f"{checked}: missing for {', '.join(problems)}", "add a healthcheck to each")
    return Result(PASS, checked)


def _compose_seconds(duration) -> int:
    """A Compose duration (30s, 1m30s; Docker's default stop grace period is 10 s)."""
    if duration is None:
        return 10
    total, number = 0, ""
    for character in str(duration):
        if character.isdigit():
            number += character
        else:
            total += int(number) * {"s": 1, "m": 60, "h": 3600}[character]
            number = ""
    return total + int(number or 0)


def _stop_timeouts() -> dict[str, int]:
    from stack import registry

    return {
        "Compose stop_grace_period": _compose_seconds(
            configs.compose_services()["web"].get("stop_grace_period")
        ),
        "Terraform stop_timeout": int(configs.terraform_containers()["web"]["stop_timeout"]),
        "native stopwaitsecs": registry.by_name("web").stop_timeout,
    }


def graceful_timeout(deployment: Deployment) -> Result:
    grace = configs.keyword_default(REPO / "app" / "gunicorn.conf.py", "graceful_timeout")
    if grace is None:
        return Result(
            FAIL, "app/gunicorn.conf.py sets no graceful_timeout", "graceful_timeout = env.int(...)"
        )
    stops = _stop_timeouts()
    short = [f"{name} {seconds}s" for name, seconds in stops.items() if seconds <= grace]
    directives = configs.nginx_directives(REPO / "nginx" / "proxy.conf")
    retries = any(words[:2] == ["proxy_next_upstream", "error"] for words in directives)
    checked = (
        f"gunicorn graceful_timeout {grace}s, shorter than each runtime's stop timeout "
        f"({', '.join(f'{k} {v}s' for k, v in stops.items())}); nginx retries a refusing replica"
    )
    if short or not retries:
        problems = [*short, *([] if retries else ["nginx/proxy.conf has no proxy_next_upstream error"])]
        return Result(
            FAIL, f"{checked}: {'; '.join(problems)}", f"give the web service more than {grace}s to stop"
        )
    return Result(PASS, checked)


def _supervisor_autorestarts() -> bool:
    from stack.render import TEMPLATES

    lines = (TEMPLATES / "program.conf").read_text().splitlines()
    return "autorestart=true" in (line.replace(" ", "") for line in lines)


def restart_policy(deployment: Deployment) -> Result:
    # What production runs: the merged files (docker-compose.prod.yml sets the policies).
    problems = [
        f"Compose {name}"
        for name, service in configs.compose_services().items()
        if not _one_shot(service) and service.get("restart") not in ("unless-stopped", "always")
    ]
    problems += [
        f"Terraform {name}"
        for name, container in configs.terraform_containers().items()
        if not _terraform_one_shot(container) and container.get("restart") != "unless-stopped"
    ]
    if not _supervisor_autorestarts():
        problems.append("native programs (stack/templates/program.conf)")
    checked = "restart policy on every long-running service: Compose production, Terraform, supervisor"
    if problems:
        return Result(
            FAIL,
            f"{checked}: missing for {', '.join(problems)}",
            "restart: unless-stopped / autorestart=true",
        )
    return Result(PASS, checked)


def runbooks(deployment: Deployment) -> Result:
    alerts = configs.alerts()
    names = {rule["alert"] for rule in alerts}
    missing = {
        rule["alert"]
        for rule in alerts
        if not (REPO / rule.get("annotations", {}).get("runbook_url", "")).is_file()
        or not rule.get("annotations", {}).get("runbook_url")
    }
    checked = f"every alert ({len(names)}) has a runbook_url to a file in docs/runbooks/"
    if missing or not names:
        return Result(
            FAIL,
            f"{checked}: missing for {', '.join(sorted(missing))}",
            "write docs/runbooks/<AlertName>.md",
        )
    return Result(PASS, checked)
