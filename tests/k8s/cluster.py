"""A real Kubernetes control plane on loopback for the chart's live test: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok (which plays the kubelet of a few fake nodes, since
no container runtime serves Kubernetes here), each on free ports, all stopped afterwards.

Clients (kubectl, helm, the controllers) authenticate with one static token of group system:masters;
the API server serves on a self-signed certificate it writes itself, which the kubeconfig trusts."""

import contextlib
import json
import secrets
import signal
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.conftest import install
from tests.harness import free_ports

STAGES = Path(__file__).with_name("kwok-stages.yaml")
SERVICE_CIDR = "10.96.0.0/16"


@dataclass
class Cluster:
    kubeconfig: Path
    kubectl: str
    logs: Path

    def run(self, *arguments: str, input: str | None = None, timeout: float = 120, check: bool = True):
        result = subprocess.run(
            [self.kubectl, "--kubeconfig", str(self.kubeconfig), *arguments],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(arguments)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def get(self, *arguments: str) -> dict:
        return json.loads(self.run("get", "-o", "json", *arguments).stdout)

    def wait_for(self, what: str, condition, timeout: float = 120):
        """condition() until truthy (its value returned), or fail naming what was awaited."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:.0f}s waiting for {what}; logs in {self.logs}"
                )
            time.sleep(0.5)


def _start(logs: Path, name: str, command: list[str]) -> subprocess.Popen:
    with open(logs / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_ready(url: str, token: str, process: subprocess.Popen, logs: Path, timeout: float = 120) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"kube-apiserver exited {process.returncode}; see {logs / 'kube-apiserver.log'}"
            )
        try:
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"kube-apiserver not ready within {timeout}s; see {logs / 'kube-apiserver.log'}")


@contextlib.contextmanager
def control_plane(work: Path, nodes: int = 3):
    """A running cluster with `nodes` Ready kwok nodes; everything stopped and gone on exit."""
    binaries = {
        name: install(name)
        for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok")
    }
    etcd = "/usr/bin/etcd"
    if not Path(etcd).exists():
        raise AssertionError(
            "etcd not found: apt-get install -y --no-install-recommends etcd-server (.ci/apt-packages.txt)"
        )
    logs, pki = work / "logs", work / "pki"
    logs.mkdir()
    pki.mkdir()
    etcd_client, etcd_peer, apiserver, controller_manager, scheduler, kwok = free_ports(6)
    token = secrets.token_hex(16)
    (pki / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
    # The key that signs service account tokens (the controllers' own identities are not used).
    subprocess.run(
        ["openssl", "genrsa", "-out", str(pki / "sa.key"), "2048"], check=True, capture_output=True
    )
    kubeconfig = work / "kubeconfig"
    processes: list[subprocess.Popen] = []
    try:
        etcd_flags = ["--name", "test", "--data-dir", str(work / "etcd"),
                      "--listen-client-urls", f"http://127.0.0.1:{etcd_client}",
                      "--advertise-client-urls", f"http://127.0.0.1:{etcd_client}",
                      "--listen-peer-urls", f"http://127.0.0.1:{etcd_peer}",
                      "--initial-advertise-peer-urls", f"http://127.0.0.1:{etcd_peer}",
                      "--initial-cluster", f"test=http://127.0.0.1:{etcd_peer}"]  # fmt: skip
        processes.append(_start(logs, "etcd", [etcd, *etcd_flags]))
        apiserver_flags = ["--etcd-servers", f"http://127.0.0.1:{etcd_client}", "--bind-address", "127.0.0.1",
                           "--advertise-address", "127.0.0.1", "--secure-port", str(apiserver),
                           "--cert-dir", str(pki), "--token-auth-file", str(pki / "tokens.csv"),
                           "--authorization-mode", "Node,RBAC",
                           "--service-account-key-file", str(pki / "sa.key"),
                           "--service-account-signing-key-file", str(pki / "sa.key"),
                           "--service-account-issuer", "https://kubernetes.default.svc",
                           "--service-cluster-ip-range", SERVICE_CIDR]  # fmt: skip
        apiserver_process = _start(logs, "kube-apiserver", [binaries["kube-apiserver"], *apiserver_flags])
        processes.append(apiserver_process)
        _wait_ready(f"https://127.0.0.1:{apiserver}/readyz", token, apiserver_process, logs)
        kubectl = binaries["kubectl"]
        for arguments in (
            [
                "config",
                "set-cluster",
                "test",
                f"--server=https://127.0.0.1:{apiserver}",
                f"--certificate-authority={pki / 'apiserver.crt'}",
                "--embed-certs",
            ],
            ["config", "set-credentials", "admin", f"--token={token}"],
            ["config", "set-context", "test", "--cluster=test", "--user=admin"],
            ["config", "use-context", "test"],
        ):
            subprocess.run(
                [kubectl, "--kubeconfig", str(kubeconfig), *arguments], check=True, capture_output=True
            )

        # What both controllers are told: the cluster, no leader election, their own free port.
        def controller(name: str, port: int, *flags: str) -> subprocess.Popen:
            common = ["--kubeconfig", str(kubeconfig), "--leader-elect=false", "--bind-address", "127.0.0.1"]
            return _start(logs, name, [binaries[name], *common, "--secure-port", str(port), *flags])

        manager_flags = ["--controllers", "*", "--service-account-private-key-file", str(pki / "sa.key"),
                         "--root-ca-file", str(pki / "apiserver.crt"),
                         "--service-cluster-ip-range", SERVICE_CIDR]  # fmt: skip
        processes.append(controller("kube-controller-manager", controller_manager, *manager_flags))
        processes.append(controller("kube-scheduler", scheduler))
        kwok_flags = ["--kubeconfig", str(kubeconfig), "--config", str(STAGES), "--manage-all-nodes=false",
                      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                      "--server-address", f"127.0.0.1:{kwok}", "--node-ip", "127.0.0.1"]  # fmt: skip
        processes.append(_start(logs, "kwok", [binaries["kwok"], *kwok_flags]))
        cluster = Cluster(kubeconfig=kubeconfig, kubectl=kubectl, logs=logs)
        cluster.run("apply", "-f", "-", input=_nodes(nodes))
        cluster.wait_for(f"{nodes} Ready nodes", lambda: _ready_nodes(cluster) == nodes)
        yield cluster
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _nodes(count: int) -> str:
    return "\n---\n".join(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": f"node-{index}",
                    "annotations": {"kwok.x-k8s.io/node": "fake"},
                    "labels": {"kubernetes.io/hostname": f"node-{index}", "type": "kwok"},
                },
            }
        )
        for index in range(count)
    )


def _ready_nodes(cluster: Cluster) -> int:
    nodes = cluster.get("nodes")["items"]
    return sum(
        1
        for node in nodes
        for condition in node.get("status", {}).get("conditions", [])
        if condition["type"] == "Ready" and condition["status"] == "True"
    )
