"""The repository's configs as their own tools read them: data, not text.

Compose files with a YAML parser (merged as `docker compose -f a -f b` merges them: mappings key by
key, `!reset` removes, `!override` replaces), Terraform with python-hcl2 (a module call with the module's
defaults, as its resource gets them), Prometheus' rules with a
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


TERRAFORM = REPO / "terraform"
# Arguments of a module call that are Terraform's, not the module's inputs.
_MODULE_META_ARGUMENTS = {"source", "version", "count", "for_each", "depends_on", "providers"}


def _terraform_folder(folder: Path) -> dict[str, list]:
    """Every top-level block of the folder's *.tf, by kind (resource, module, variable...)."""
    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    blocks: dict[str, list] = {}
    for path in sorted(folder.glob("*.tf")):
        for kind, entries in hcl2.loads(path.read_text(), serialization_options=options).items():
            blocks.setdefault(kind, []).extend(entries)
    return blocks


def _variable_reference(value) -> list[str] | None:
    """The path of an expression that is one reference to an input variable (`var.a` or `var.a.b`)."""
    if not (isinstance(value, str) and value.startswith("${var.") and value.endswith("}")):
        return None
    path = value.removeprefix("${var.").removesuffix("}").split(".")
    return path if all(part.isidentifier() for part in path) else None


def _resolved(value, inputs: dict):
    """An argument of the module's resource with its variable references replaced by the inputs' values
    (an optional attribute not given is null); any other expression stays as written."""
    if isinstance(value, dict):
        return {key: _resolved(item, inputs) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, inputs) for item in value]
    path = _variable_reference(value)
    if path is None:
        return value
    found = inputs.get(path[0])
    for attribute in path[1:]:
        found = found.get(attribute) if isinstance(found, dict) else None
    return found


def _module_containers(call: dict) -> dict[str, dict]:
    """The docker_container resources of a local module with a call's inputs: its arguments over the
    variables' defaults (null given to a `nullable = false` variable takes the default, as Terraform does)."""
    module = _terraform_folder((TERRAFORM / call["source"]).resolve())
    variables = {name: body for variable in module.get("variable", []) for name, body in variable.items()}
    inputs = {name: body.get("default") for name, body in variables.items()}
    for name, value in call.items():
        defaulted = value is None and variables[name].get("nullable") is False
        if name not in _MODULE_META_ARGUMENTS and not defaulted:
            inputs[name] = value
    return {
        name: _resolved(arguments, inputs)
        for resource in module.get("resource", [])
        for name, arguments in resource.get("docker_container", {}).items()
    }


@functools.cache
def terraform_containers() -> dict[str, dict]:
    """Container -> the docker_container arguments that apply to it, from terraform/*.tf: a
    `resource "docker_container"` by its name, and a call of a local module (modules/container) by the
    call's name, its inputs put where the module's resource reads them. A counted call (the web replicas)
    is one entry."""
    root = _terraform_folder(TERRAFORM)
    containers = {}
    for resource in root.get("resource", []):
        containers |= resource.get("docker_container", {})
    for calls in root.get("module", []):
        for name, call in calls.items():
            if str(call.get("source", "")).startswith(("./", "../")):
                for arguments in _module_containers(call).values():
                    containers[name] = arguments
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
