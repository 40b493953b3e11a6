"""The chart on a real API server (tests/k8s/cluster.py): the operators' CRDs applied, namespaces that
enforce the restricted Pod Security level, `helm install --wait --wait-for-jobs` with three web
replicas, an upgrade to five, a rollback to three, the checklist's CronJob starting a Job that
succeeds, and an uninstall that leaves nothing of the release; then the external-database variant,
whose migrations run as a pre-install hook.

kwok plays the kubelet: pods are scheduled, admitted and marked Running, a Job's pod Succeeded, but no
container runs, the operators do not reconcile, and the HPA has no metrics (README: Beyond one host)."""

import json
import os
import subprocess
import time

import pytest

from tests.k8s.chart import CHART, CI_VALUES
from tests.k8s.cluster import control_plane

RELEASE = "tweetstack"
MIGRATIONS = "tweetstack-migrations"
CHECKLIST = "tweetstack-checklist"
SECRETS = {
    "DJANGO_SECRET_KEY": "live-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "METRICS_TOKEN": "live-test-metrics-token",
    "DATABASE_URL": "postgres://tweetstack:pw@db.example.org:5432/tweetstack",
}
# Every kind the chart renders, asked for by name after the uninstall.
KINDS = (
    "deployments,replicasets,pods,services,configmaps,secrets,persistentvolumeclaims,jobs,cronjobs,"
    "poddisruptionbudgets,networkpolicies,serviceaccounts,horizontalpodautoscalers,ingresses,"
    "servicemonitors,podmonitors,prometheusrules,clusters.postgresql.cnpg.io,scheduledbackups"
)


def values(name: str):
    path = CHART / "ci" / f"{name}-values.yaml"
    assert path in CI_VALUES
    return path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, crds):
    started = time.monotonic()
    with control_plane(tmp_path_factory.mktemp("cluster")) as cluster:
        print(f"control plane with Ready nodes: {time.monotonic() - started:.1f}s")
        cluster.run("apply", "--server-side", "-f", crds)
        cluster.run("wait", "--for", "condition=Established", "crd", "--all", "--timeout", "60s")
        print(f"CRDs established: {time.monotonic() - started:.1f}s")
        # Storage a cluster's operator provides for the media and status claims: ReadWriteMany volumes
        # of the class the values name (the PV controller binds each release's claims to one each).
        for name in ("media-0", "media-1", "status-0", "status-1"):
            volume = {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": name},
                "spec": {
                    "capacity": {"storage": "10Gi"},
                    "accessModes": ["ReadWriteMany"],
                    "storageClassName": "shared-files",
                    "nfs": {"server": "files.example.org", "path": f"/{name}"},
                },
            }
            cluster.run("apply", "-f", "-", input=json.dumps(volume))
        yield cluster


def restricted_namespace(cluster, name: str) -> str:
    """A namespace enforcing the restricted Pod Security level, with the Secrets the chart names."""
    cluster.run("create", "namespace", name)
    cluster.run("label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted")
    literals = [f"--from-literal={key}={value}" for key, value in SECRETS.items()]
    cluster.run("-n", name, "create", "secret", "generic", "tweetstack-secrets", *literals)
    cluster.run("-n", name, "create", "secret", "generic", "tweetstack-backup-s3",
                "--from-literal=ACCESS_KEY_ID=test", "--from-literal=ACCESS_SECRET_KEY=test")  # fmt: skip
    return name


@pytest.fixture(scope="module")
def helm_in(cluster, tmp_path_factory, helm):
    home = tmp_path_factory.mktemp("helm")
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }

    def helm_run(namespace: str, *arguments: str):
        command = [helm, *arguments, "--namespace", namespace]
        started = time.monotonic()
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        # For the report: where the live test's minutes go (printed with pytest -s).
        print(f"helm {arguments[0]} in {namespace}: {time.monotonic() - started:.1f}s")
        assert result.returncode == 0, (
            f"helm {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}\nlogs: {cluster.logs}"
        )
        return result

    return helm_run


def web_pods(cluster, namespace: str) -> list[dict]:
    selector = f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/component=web"
    return cluster.get("pods", "-n", namespace, "-l", selector)["items"]


def running_web_pods(cluster, namespace: str, count: int) -> list[dict]:
    """The web pods when exactly `count` exist and all are Running (none terminating), else []."""
    pods = web_pods(cluster, namespace)
    running = [
        pod
        for pod in pods
        if pod["status"].get("phase") == "Running" and "deletionTimestamp" not in pod["metadata"]
    ]
    return running if len(pods) == count == len(running) else []


def watch_jobs(cluster, namespace: str) -> subprocess.Popen:
    """Every change of the namespace's migrations Jobs while it runs, as JSON watch events on stdout
    (not the checklist's, which its CronJob starts at any minute)."""
    command = [cluster.kubectl, "--kubeconfig", str(cluster.kubeconfig), "-n", namespace, "get", "jobs",
               "-l", "app.kubernetes.io/component=migrations",
               "--watch", "--output-watch-events", "-o", "json"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def succeeded_jobs(watcher: subprocess.Popen) -> set[str]:
    watcher.terminate()
    text, _ = watcher.communicate(timeout=30)
    decoder, position, names = json.JSONDecoder(), 0, set()
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            break
        try:
            event, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break  # the event being written when the watch was stopped
        if event["object"].get("status", {}).get("succeeded"):
            names.add(event["object"]["metadata"]["name"])
    return names


def with_jobs_watched(cluster, namespace: str, action) -> set[str]:
    """The names of the Jobs that succeeded while action() ran."""
    watcher = watch_jobs(cluster, namespace)
    try:
        action()
    finally:
        succeeded = succeeded_jobs(watcher)
    return succeeded


def assert_nothing_left(cluster, namespace: str) -> None:
    def nothing_left():
        instance = f"app.kubernetes.io/instance={RELEASE}"
        left = cluster.run("get", KINDS, "-n", namespace, "-l", instance, "-o", "name").stdout.split()
        helm = cluster.run(
            "get", "secrets", "-n", namespace, "-l", f"owner=helm,name={RELEASE}", "-o", "name"
        )
        return not left and not helm.stdout.split()

    cluster.wait_for("nothing of the release left", nothing_left)


def checklist_job(cluster, namespace: str) -> dict | None:
    """A Job the checklist's CronJob started that succeeded, if one has."""
    jobs = cluster.get("jobs", "-n", namespace, "-l", "app.kubernetes.io/component=checklist")["items"]
    for job in jobs:
        owners = [(owner["kind"], owner["name"]) for owner in job["metadata"].get("ownerReferences", [])]
        if owners == [("CronJob", CHECKLIST)] and job["status"].get("succeeded") == 1:
            return job
    return None


def test_install_upgrade_rollback_uninstall(cluster, helm_in):
    namespace = restricted_namespace(cluster, "tweets")
    chart = [
        RELEASE,
        str(CHART),
        "--values",
        str(values("cnpg")),
        # Every minute, the shortest a CronJob runs by (the default is the rule's five), so its first
        # Job comes within the test's minutes.
        "--set",
        "checklist.schedule=* * * * *",
        "--wait",
        "--wait-for-jobs",
        "--timeout",
        "3m",
    ]

    helm_in(namespace, "install", *chart, "--set", "web.replicas=3")
    pods = cluster.wait_for("3 Running web pods", lambda: running_web_pods(cluster, namespace, 3))
    assert len({pod["spec"]["nodeName"] for pod in pods}) == 3, "the topology spread puts one per node"
    job = cluster.get("job", "-n", namespace, f"{MIGRATIONS}-install")
    assert job["status"].get("succeeded") == 1, job["status"]

    succeeded = with_jobs_watched(
        cluster, namespace, lambda: helm_in(namespace, "upgrade", *chart, "--set", "web.replicas=5")
    )
    assert MIGRATIONS in succeeded, "the pre-upgrade migrations hook ran and succeeded"
    cluster.wait_for("5 Running web pods", lambda: running_web_pods(cluster, namespace, 5))
    # The hook Job is deleted once it succeeded; the install's Job left with the revision that had it.
    migrations = ["-l", "app.kubernetes.io/component=migrations", "-o", "name"]
    assert cluster.run("get", "jobs", "-n", namespace, *migrations).stdout.split() == []

    helm_in(namespace, "rollback", RELEASE, "1", "--wait", "--wait-for-jobs", "--timeout", "3m")
    cluster.wait_for("3 Running web pods after the rollback", lambda: running_web_pods(cluster, namespace, 3))
    assert cluster.get("deployment", "-n", namespace, "tweetstack-web")["spec"]["replicas"] == 3
    history = json.loads(helm_in(namespace, "history", RELEASE, "-o", "json").stdout)
    assert [entry["status"] for entry in history] == ["superseded", "superseded", "deployed"]

    # The scheduled checklist: the CronJob controller starts its Job at a minute's turn, kwok's pod
    # completes, and the CronJob records the success.
    started = time.monotonic()
    job = cluster.wait_for(
        "a checklist Job started by the CronJob", lambda: checklist_job(cluster, namespace), 150
    )
    print(
        f"checklist Job succeeded after another {time.monotonic() - started:.1f}s: {job['metadata']['name']}"
    )
    cronjob = cluster.wait_for(
        "the CronJob's last success",
        lambda: (
            (found := cluster.get("cronjob", "-n", namespace, CHECKLIST))["status"].get("lastSuccessfulTime")
            and found
        ),
    )
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (pod,) = cluster.get("pods", "-n", namespace, "-l", f"job-name={job['metadata']['name']}")["items"]
    claims = {volume.get("persistentVolumeClaim", {}).get("claimName") for volume in pod["spec"]["volumes"]}
    assert "tweetstack-status" in claims
    assert cluster.get("pvc", "-n", namespace, "tweetstack-status")["status"]["phase"] == "Bound"

    helm_in(namespace, "uninstall", RELEASE, "--wait", "--timeout", "3m")
    assert_nothing_left(cluster, namespace)


def test_external_database_migrates_in_a_pre_install_hook(cluster, helm_in):
    """With an external database the migrations Job runs before any object of the release exists
    (its ServiceAccount included); the autoscaled Deployment starts at minReplicas."""
    namespace = restricted_namespace(cluster, "tweets-external")
    install = [RELEASE, str(CHART), "--values", str(values("external-hpa")), "--wait", "--wait-for-jobs",
               "--timeout", "3m"]  # fmt: skip
    succeeded = with_jobs_watched(cluster, namespace, lambda: helm_in(namespace, "install", *install))
    assert MIGRATIONS in succeeded, "the pre-install migrations hook ran and succeeded"
    cluster.wait_for("3 Running web pods", lambda: running_web_pods(cluster, namespace, 3))
    hpa = cluster.get("hpa", "-n", namespace, "tweetstack-web")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 12)
    helm_in(namespace, "uninstall", RELEASE, "--wait", "--timeout", "3m")
    assert_nothing_left(cluster, namespace)
