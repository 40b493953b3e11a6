"""The chart on a real API server (tests/k8s/cluster.py): the operators' CRDs applied, a namespace
that enforces the restricted Pod Security level, `helm install --wait --wait-for-jobs` with three web
replicas, an upgrade to five, a rollback to three and an uninstall that leaves nothing of the release.

kwok plays the kubelet: pods are scheduled, admitted and marked Running, a Job's pod Succeeded, but no
container runs, the operators do not reconcile, and the HPA has no metrics (README: Beyond one host)."""

import json
import os
import subprocess

import pytest

from tests.k8s.chart import CHART, CI_VALUES
from tests.k8s.cluster import control_plane

NAMESPACE = "tweets"
RELEASE = "tweetstack"
VALUES = CHART / "ci" / "cnpg-values.yaml"
assert VALUES in CI_VALUES
WEB = {"app.kubernetes.io/instance": RELEASE, "app.kubernetes.io/component": "web"}
MIGRATIONS = "tweetstack-migrations"
# Every kind the chart renders, asked for by name after the uninstall.
KINDS = (
    "deployments,replicasets,pods,services,configmaps,secrets,persistentvolumeclaims,jobs,"
    "poddisruptionbudgets,networkpolicies,serviceaccounts,horizontalpodautoscalers,ingresses,"
    "servicemonitors,podmonitors,prometheusrules,clusters.postgresql.cnpg.io,scheduledbackups"
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, crds):
    with control_plane(tmp_path_factory.mktemp("cluster")) as cluster:
        cluster.run("apply", "--server-side", "-f", crds)
        cluster.run("wait", "--for", "condition=Established", "crd", "--all", "--timeout", "60s")
        cluster.run("create", "namespace", NAMESPACE)
        cluster.run(
            "label",
            "namespace",
            NAMESPACE,
            "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/enforce-version=latest",
        )
        # What the operator of a real cluster provides: the Secrets the chart names, and storage for the
        # media claim (a ReadWriteMany volume of the class the values name).
        cluster.run(
            "-n",
            NAMESPACE,
            "create",
            "secret",
            "generic",
            "tweetstack-secrets",
            "--from-literal=DJANGO_SECRET_KEY=live-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "--from-literal=METRICS_TOKEN=live-test-metrics-token",
        )
        cluster.run(
            "-n",
            NAMESPACE,
            "create",
            "secret",
            "generic",
            "tweetstack-backup-s3",
            "--from-literal=ACCESS_KEY_ID=test",
            "--from-literal=ACCESS_SECRET_KEY=test",
        )
        cluster.run(
            "apply",
            "-f",
            "-",
            input=json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": "media"},
                    "spec": {
                        "capacity": {"storage": "10Gi"},
                        "accessModes": ["ReadWriteMany"],
                        "storageClassName": "shared-files",
                        "nfs": {"server": "files.example.org", "path": "/media"},
                    },
                }
            ),
        )
        yield cluster


@pytest.fixture(scope="module")
def helm_env(cluster, tmp_path_factory, helm):
    home = tmp_path_factory.mktemp("helm")
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }

    def helm_run(*arguments: str, timeout: float = 300):
        result = subprocess.run(
            [helm, *arguments, "--namespace", NAMESPACE],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, (
            f"helm {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}\nlogs: {cluster.logs}"
        )
        return result

    return helm_run


def running_web_pods(cluster) -> list[dict]:
    selector = ",".join(f"{key}={value}" for key, value in WEB.items())
    pods = cluster.get("pods", "-n", NAMESPACE, "-l", selector)["items"]
    return [
        pod
        for pod in pods
        if pod["status"].get("phase") == "Running" and "deletionTimestamp" not in pod["metadata"]
    ]


def web_pod_count_is(cluster, count: int) -> bool:
    selector = ",".join(f"{key}={value}" for key, value in WEB.items())
    pods = cluster.get("pods", "-n", NAMESPACE, "-l", selector)["items"]
    return len(pods) == count and len(running_web_pods(cluster)) == count


def watch_jobs(cluster) -> subprocess.Popen:
    """Every change of the namespace's Jobs while it runs, as JSON watch events on stdout."""
    return subprocess.Popen(
        [
            cluster.kubectl,
            "--kubeconfig",
            str(cluster.kubeconfig),
            "-n",
            NAMESPACE,
            "get",
            "jobs",
            "--watch",
            "--output-watch-events",
            "-o",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def succeeded_jobs(watcher: subprocess.Popen) -> set[str]:
    watcher.terminate()
    text, _ = watcher.communicate(timeout=30)
    decoder, position, names = json.JSONDecoder(), 0, set()
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            break
        event, position = decoder.raw_decode(text, position)
        job = event["object"]
        if job.get("status", {}).get("succeeded"):
            names.add(job["metadata"]["name"])
    return names


def test_install_upgrade_rollback_uninstall(cluster, helm_env):
    chart = [
        "tweetstack",
        str(CHART),
        "--values",
        str(VALUES),
        "--wait",
        "--wait-for-jobs",
        "--timeout",
        "3m",
    ]

    helm_env("install", *chart, "--set", "web.replicas=3")
    pods = cluster.wait_for(
        "3 Running web pods", lambda: web_pod_count_is(cluster, 3) and running_web_pods(cluster)
    )
    assert len({pod["spec"]["nodeName"] for pod in pods}) == 3, (
        "the topology spread puts one replica per node"
    )
    job = cluster.get("job", "-n", NAMESPACE, f"{MIGRATIONS}-install")
    assert job["status"].get("succeeded") == 1, job["status"]

    watcher = watch_jobs(cluster)
    helm_env("upgrade", *chart, "--set", "web.replicas=5")
    assert MIGRATIONS in succeeded_jobs(watcher), "the pre-upgrade migrations hook ran and succeeded"
    cluster.wait_for("5 Running web pods", lambda: web_pod_count_is(cluster, 5))
    # The hook Job is deleted once it succeeded; the install's Job left with the revision that had it.
    assert cluster.run("get", "jobs", "-n", NAMESPACE, "-o", "name").stdout.strip() == ""

    helm_env("rollback", RELEASE, "1", "--wait", "--timeout", "3m")
    cluster.wait_for("3 Running web pods after the rollback", lambda: web_pod_count_is(cluster, 3))
    deployment = cluster.get("deployment", "-n", NAMESPACE, "tweetstack-web")
    assert deployment["spec"]["replicas"] == 3
    history = json.loads(helm_env("history", RELEASE, "-o", "json").stdout)
    assert [entry["status"] for entry in history] == ["superseded", "superseded", "deployed"]

    helm_env("uninstall", RELEASE, "--wait", "--timeout", "3m")

    def nothing_left():
        left = cluster.run(
            "get", KINDS, "-n", NAMESPACE, "-l", f"app.kubernetes.io/instance={RELEASE}", "-o", "name"
        ).stdout.split()
        releases = cluster.run(
            "get", "secrets", "-n", NAMESPACE, "-l", f"owner=helm,name={RELEASE}", "-o", "name"
        ).stdout.split()
        return not left and not releases

    cluster.wait_for("nothing of the release left", nothing_left)
