"""Builds and downloads, in the background, the tools the later test tiers need, while the earlier ones run.

On a cold machine most of `make test` used to be spent building pinned tools from source (the Go
tools of tests/deploy/tools.sh, the collector and Jaeger, toxiproxy, the Terraform provider) and the
live tests' stand-in images at the moment the first test needed each one, one after the other, while
the second core sat idle behind a single-threaded Python test. The harness starts this module at the
beginning of the session with three lanes: downloads (PyPI, npm), compiles, and the stand-in images
(Docker Engine packages, debootstrap, `docker build`), each step in the order the tiers need them
(pyproject's testpaths runs the tiers that need none first). Every step is what the tests themselves
call, under the same lock, so a test that needs a tool before its step is done waits for that build
instead of starting a second one; warm, each step is a check that the result exists. A failed step is
logged and left alone: the test that needs it fails with the real error.

    python -m tests.prebuild          # started by the harness (log: <cache>/prebuild.log); warms the cache
    python -m tests.prebuild images   # only the stand-in images
"""

import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOLS = ["bash", str(REPO / "tests/deploy/tools.sh")]

# Network-bound: they barely use a core.
DOWNLOADS = [
    [*TOOLS, "renovate"],
    [*TOOLS, "axe-core"],
    [*TOOLS, "check-jsonschema"],
    [*TOOLS, "hadolint"],
    [*TOOLS, "checkov"],
    [*TOOLS, "kubernetes-validate"],
]
# CPU-bound, one at a time (go build already uses both cores), in the order of the tiers that need
# them: config (the collector), cicd, deploy, e2e, k8s.
BUILDS = [
    ["bash", str(REPO / "scripts/build-otel.sh")],
    [*TOOLS, "act"],
    [*TOOLS, "actionlint"],
    [*TOOLS, "registry"],
    [*TOOLS, "docker-compose"],
    ["bash", str(REPO / "terraform/provider/build.sh")],
    ["bash", str(REPO / "scripts/build-toxiproxy.sh")],
    [*TOOLS, "vegeta"],
    [*TOOLS, "helm"],
    [*TOOLS, "helm-unittest"],
    [*TOOLS, "kubeconform"],
    [*TOOLS, "crds"],
    [*TOOLS, "kwok"],
    [*TOOLS, "kube-apiserver"],
    [*TOOLS, "kube-controller-manager"],
    [*TOOLS, "kube-scheduler"],
    [*TOOLS, "kubectl"],
]


# The stand-in images (tests/deploy/engine.py), built before the first live tier needs them.
IMAGES = [[sys.executable, "-m", "tests.prebuild", "images"]]


def build_images() -> None:
    """Under the live tests' own lock (their `engine` fixture waits for it), with a daemon of our own
    stopped again after: the images stay in the engine's data root, the daemon is the fixture's."""
    from tests.deploy.engine import Engine, locked, standin_images

    with locked("live-deployment"):
        engine = Engine().start()
        try:
            standin_images(engine)
        finally:
            engine.stop()


def run_lane(steps: list[list[str]]) -> None:
    for command in steps:
        started = time.monotonic()
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        name = " ".join(Path(part).name for part in command[1:])
        status = "ok" if result.returncode == 0 else f"exited {result.returncode}\n{result.stderr[-3000:]}"
        print(f"prebuild: {name}: {time.monotonic() - started:.0f}s {status}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    if argv == ["images"]:
        build_images()
        return 0
    lanes = [threading.Thread(target=run_lane, args=(steps,)) for steps in (DOWNLOADS, BUILDS, IMAGES)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
