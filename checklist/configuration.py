"""Reliability and documentation items, read from the repository's configs of the three runtimes
(Compose, Terraform, the native stack); no YAML or HCL library, so the files are read as text in the
shapes they are written in (tests/deploy validates them with their own tools)."""

import re

from checklist.core import FAIL, PASS, REPO, Deployment, Result, repo_text

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.prod.yml")


def compose_services() -> dict[str, str]:
    """service -> its blocks of every Compose file, concatenated (the merge, as text)."""
    services: dict[str, str] = {}
    for name in COMPOSE_FILES:
        section = re.search(r"^services:\n(.*?)(?=^\S)", repo_text(name) + "\nend:\n", re.M | re.S).group(1)
        for service, body in re.findall(r"^  ([\w-]+):\n((?:(?:    .*)?\n)*)", section, re.M):
            services[service] = services.get(service, "") + body
    return services


def _one_shot(body: str) -> bool:
    return bool(re.search(r'^    restart:\s*"?no"?\s*$', body, re.M))


def _image_has_healthcheck(body: str) -> bool:
    """A service built here inherits the HEALTHCHECK of its Dockerfile (stage)."""
    anchor = re.search(r"build: \*([\w-]+)", body)
    # A build that merges an anchor and names its own stage (build: {<<: *web-build, target: ...}).
    own_target = re.search(r"^      target:\s*(\S+)", body, re.M)
    if anchor or own_target:
        if own_target:
            target = own_target.group(1)
        else:
            build = re.search(rf"&{anchor.group(1)}\n((?:  .*\n)*)", repo_text("docker-compose.yml")).group(1)
            target = re.search(r"target:\s*(\S+)", build).group(1)
        stage = repo_text("Dockerfile").split(f" AS {target}\n", 1)[1].split("\nFROM ", 1)[0]
        return "HEALTHCHECK" in stage
    context = re.search(r"context:\s*\./(\S+)", body)
    return bool(context) and "HEALTHCHECK" in (REPO / context.group(1) / "Dockerfile").read_text()


def terraform_containers() -> dict[str, str]:
    text = "\n".join(path.read_text() for path in sorted((REPO / "terraform").glob("*.tf")))
    return dict(re.findall(r'^resource "docker_container" "(\w+)" \{\n(.*?)^\}', text, re.M | re.S))


def _native_programs() -> tuple[list[str], set[str]]:
    from stack import __main__ as stack_commands
    from stack import services
    from stack.layout import Stack

    stack = Stack.from_env()
    programs = [
        *stack_commands.INFRASTRUCTURE,
        *stack_commands.TRACING,
        *stack.web_names(),
        *stack_commands.SERVICES,
    ]
    return programs, set(services.probes(stack))


def healthchecks(deployment: Deployment) -> Result:
    problems = []
    for service, body in compose_services().items():
        disabled = re.search(r"healthcheck:\n\s+disable:\s*true", body)
        if (
            not _one_shot(body)
            and (disabled or "healthcheck:" not in body)
            and not _image_has_healthcheck(body)
        ):
            problems.append(f"Compose {service}")
    for name, body in terraform_containers().items():
        one_shot = re.search(r"must_run\s*=\s*false", body)
        if not one_shot and ("healthcheck {" not in body or '"NONE"' in body):
            problems.append(f"Terraform {name}")
    programs, probed = _native_programs()
    problems += [f"native {name}" for name in programs if name not in probed]
    checked = (
        "every long-running service has a healthcheck: Compose (or its image), Terraform, native stack probes"
    )
    if problems:
        return Result(FAIL, f"{checked}: missing for {', '.join(problems)}", "add a healthcheck to each")
    return Result(PASS, checked)


def graceful_timeout(deployment: Deployment) -> Result:
    gunicorn = re.search(r"^graceful_timeout = .*default=(\d+)", repo_text("app/gunicorn.conf.py"), re.M)
    if not gunicorn:
        return Result(
            FAIL, "app/gunicorn.conf.py sets no graceful_timeout", "graceful_timeout = env.int(...)"
        )
    grace = int(gunicorn.group(1))
    compose = re.search(r"stop_grace_period:\s*(\d+)s", compose_services()["web"])
    stops = {
        "Compose stop_grace_period": int(compose.group(1)) if compose else 10,  # Docker's default
        "Terraform stop_timeout": int(
            re.search(r"stop_timeout\s*=\s*(\d+)", terraform_containers()["web"]).group(1)
        ),
        "native stopwaitsecs": int(
            re.search(r'"stopwaitsecs": "(\d+)"', repo_text("stack/render.py")).group(1)
        ),
    }
    short = [f"{name} {seconds}s" for name, seconds in stops.items() if seconds <= grace]
    retries = re.search(r"^proxy_next_upstream\s+error", repo_text("nginx/proxy.conf"), re.M)
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


def restart_policy(deployment: Deployment) -> Result:
    problems = []
    production = repo_text("docker-compose.prod.yml")
    prod_blocks = dict(re.findall(r"^  ([\w-]+):\n((?:(?:    .*)?\n)*)", production, re.M))
    for service, body in compose_services().items():
        prod = prod_blocks.get(service, "")
        if not _one_shot(body) and "<<: *prod" not in prod and "restart: unless-stopped" not in prod:
            problems.append(f"Compose {service}")
    for name, body in terraform_containers().items():
        if not re.search(r'restart\s*=\s*"unless-stopped"|must_run\s*=\s*false', body):
            problems.append(f"Terraform {name}")
    if not re.search(r"^autorestart=true$", repo_text("stack/templates/program.conf"), re.M):
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
    alerts, missing = set(), []
    for path in sorted((REPO / "monitoring" / "prometheus" / "rules").glob("*.yml")):
        for block in re.split(r"\n\s*- (?=alert:|record:)", path.read_text())[1:]:
            if not block.startswith("alert:"):
                continue
            name = block.split()[1]
            alerts.add(name)
            runbook = re.search(r"runbook_url:\s*\"?([^\"\s]+)", block)
            if not runbook or not (REPO / runbook.group(1)).is_file():
                missing.append(name)
    checked = f"every alert ({len(alerts)}) has a runbook_url to a file in docs/runbooks/"
    if missing or not alerts:
        return Result(
            FAIL,
            f"{checked}: missing for {', '.join(sorted(set(missing)))}",
            "write docs/runbooks/<AlertName>.md",
        )
    return Result(PASS, checked)
