"""The chart under test and what it renders, read as objects (helm template, then YAML)."""

from pathlib import Path

import yaml

from tests.deploy.conftest import REPO, run

CHART = REPO / "deploy" / "helm" / "tweetstack"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
# The API server version the schemas, helm's capabilities and the live cluster agree on.
KUBE_VERSION = "1.36.0"


def template(helm: str, values: Path, *arguments: str, check: bool = True):
    """`helm template` of the chart with one values file; the CompletedProcess."""
    return run(
        [
            helm,
            "template",
            "tweetstack",
            str(CHART),
            "--namespace",
            "tweets",
            "--values",
            str(values),
            "--kube-version",
            KUBE_VERSION,
            *arguments,
        ],
        check=check,
    )


def render(helm: str, values: Path, *arguments: str) -> list[dict]:
    """The objects `helm template` renders (hooks included), in order."""
    return [doc for doc in yaml.safe_load_all(template(helm, values, *arguments).stdout) if doc]


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [item for item in objects if item["kind"] == kind]
