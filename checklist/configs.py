"""The repository's configs as their own tools read them: data, not text.

Compose files with a YAML parser (merged as `docker compose -f a -f b` merges them: mappings key by
key, `!reset` removes, `!override` replaces), Terraform with python-hcl2, Prometheus' rules with a
YAML parser, Dockerfiles instruction by instruction, Python settings with ast, and the native stack
from its registry (stack/registry.py).
"""

import ast
import functools
from pathlib import Path

import hcl2
import yaml

from checklist.core import REPO

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.prod.yml")
RULES = REPO / "monitoring" / "prometheus" / "rules"


class _Reset:
    """Compose's `!reset`: the key is removed from what the earlier files set."""


class _Override:
    def __init__(self, value):
        self.value = value


class _ComposeLoader(yaml.SafeLoader):
    pass


def _tagged(loader: yaml.SafeLoader, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_ComposeLoader.add_constructor("!reset", lambda loader, node: _Reset())
_ComposeLoader.add_constructor("!override", lambda loader, node: _Override(_tagged(loader, node)))


def _merge(base, override):
    """Compose's merge of two files' values: mappings key by key, anything else replaced."""
    if isinstance(override, _Override):
        return override.value
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, _Reset):
            merged.pop(key, None)
        else:
            merged[key] = _merge(base.get(key), value)
    return merged


def load_yaml(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=_ComposeLoader)  # noqa: S506 (a SafeLoader)


@functools.cache
def compose_services() -> dict[str, dict]:
    """service -> its definition, every Compose file merged."""
    services: dict = {}
    for name in COMPOSE_FILES:
        services = _merge(services, load_yaml(REPO / name).get("services") or {})
    return {name: service or {} for name, service in services.items()}


def _unquoted(value):
    if isinstance(value, dict):
        return {_unquoted(key): _unquoted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unquoted(item) for item in value]
    return value


@functools.cache
def terraform_containers() -> dict[str, dict]:
    """docker_container resource name -> its arguments, from every terraform/*.tf."""
    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    containers = {}
    for path in sorted((REPO / "terraform").glob("*.tf")):
        for resource in hcl2.loads(path.read_text(), serialization_options=options).get("resource", []):
            containers |= resource.get("docker_container", {})
    return containers


def dockerfile_stages(path: Path) -> dict[str, list[tuple[str, str]]]:
    """stage name -> its (INSTRUCTION, arguments), continuation lines joined; comments dropped."""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    logical = ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        logical += line.strip().removesuffix("\\").strip() + " "
        if line.rstrip().endswith("\\"):
            continue
        instruction, _, arguments = logical.strip().partition(" ")
        logical = ""
        if instruction.upper() == "FROM":
            words = arguments.split()
            current = []
            stages[words[-1] if len(words) > 2 and words[-2].upper() == "AS" else str(len(stages))] = current
        current.append((instruction.upper(), arguments.strip()))
    return stages


def healthcheck_in_image(path: Path, stage: str | None = None) -> bool:
    """The stage (default: the last) or a stage it is built FROM declares a HEALTHCHECK other than NONE."""
    stages = dockerfile_stages(path)
    name = stage if stage is not None else list(stages)[-1]
    while name in stages:
        instructions = stages[name]
        checks = [arguments for instruction, arguments in instructions if instruction == "HEALTHCHECK"]
        if checks:
            return checks[-1].upper() != "NONE"
        name = instructions[0][1].split()[0]  # FROM <base> [AS name]: the base may be a stage
    return False


def alert_rules() -> dict[str, list[dict]]:
    """rule file name -> its groups, as Prometheus loads them."""
    return {path.name: load_yaml(path).get("groups", []) for path in sorted(RULES.glob("*.yml"))}


def alerts() -> list[dict]:
    return [
        rule
        for groups in alert_rules().values()
        for group in groups
        for rule in group.get("rules", [])
        if "alert" in rule
    ]


def alert_expressions(name: str) -> list[str]:
    """The expressions of every rule of an alert (one alert may have several rules)."""
    found = [" ".join(rule["expr"].split()) for rule in alerts() if rule["alert"] == name]
    if not found:
        raise SystemExit(f"checklist: no alert {name} in monitoring/prometheus/rules/")
    return found


def keyword_default(path: Path, variable: str) -> int | None:
    """The `default=` of a module-level `variable = env.int(..., default=N)` (gunicorn.conf.py)."""
    for node in ast.parse(path.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == variable for target in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            for keyword in node.value.keywords:
                if keyword.arg == "default" and isinstance(keyword.value, ast.Constant):
                    return int(keyword.value.value)
    return None


def nginx_directives(path: Path) -> list[list[str]]:
    """Each directive of an nginx config as its words (`proxy_next_upstream error timeout;`)."""
    text = "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())
    return [statement.split() for statement in text.replace("{", ";").replace("}", ";").split(";")]
