"""JSON schemas for kubeconform, offline: Kubernetes' own (PyPI kubernetes-validate ships them) and
the operators' CRDs (controller-gen's output), written under the cache once per input version.

kubernetes-validate's files refer to each other by absolute URLs (`$id`, `$ref: /api/...`), which
kubeconform would fetch; rewritten as paths relative to the file, everything resolves on disk."""

import fcntl
import json
from pathlib import Path

import yaml

from tests.deploy.engine import CACHE


def kubernetes_schemas(kubernetes_validate: str, kube_version: str) -> Path:
    """The folder of Kubernetes' strict schemas (one file per kind, kubeconform's naming)."""
    venv = Path(kubernetes_validate).parents[1]
    (source,) = venv.glob(
        f"lib/python*/site-packages/kubernetes_validate/kubernetes-json-schema/v{kube_version}-local-strict"
    )
    target = CACHE / "kubeconform-schemas" / f"{venv.name}-v{kube_version}"
    return _once(target, lambda: _rewrite_kubernetes(source, target))


def _rewrite_kubernetes(source: Path, target: Path) -> None:
    for path in source.glob("*.json"):
        (target / path.name).write_text(json.dumps(_local(json.loads(path.read_text()))))


def _local(schema):
    """The schema without `$id`, its `$ref`s relative to the folder of its file."""
    if isinstance(schema, list):
        return [_local(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _local(value) for key, value in schema.items() if key != "$id"}
    if isinstance(schema.get("$ref"), str):
        schema["$ref"] = schema["$ref"].removeprefix("/api/")
    return schema


def crd_schemas(crds: str) -> Path:
    """The folder of the CRDs' schemas as GROUP/KIND_VERSION.json, strict: no field a CRD does not declare."""
    target = CACHE / "kubeconform-schemas" / f"{Path(crds).name}"
    return _once(target, lambda: _write_crds(Path(crds), target))


def _write_crds(crds: Path, target: Path) -> None:
    for path in crds.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"].lower()
        for version in crd["spec"]["versions"]:
            schema = _strict(version["schema"]["openAPIV3Schema"])
            (target / group).mkdir(parents=True, exist_ok=True)
            (target / group / f"{kind}_{version['name']}.json").write_text(json.dumps(schema))


def _strict(schema):
    """OpenAPI v3 as JSON Schema: closed objects (unless the CRD keeps unknown fields), int-or-string."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _strict(value) for key, value in schema.items()}
    if schema.pop("x-kubernetes-int-or-string", False):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema["additionalProperties"] = False
    return schema


def _once(target: Path, write) -> Path:
    """target, written by write() unless complete already; one writer at a time per cache."""
    if not (target / ".complete").exists():
        target.mkdir(parents=True, exist_ok=True)
        with open(target.with_name(target.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (target / ".complete").exists():
                write()
                (target / ".complete").touch()
    return target
