"""The chart, without a cluster: helm lint, the helm-unittest suites, every ci/*-values.yaml rendered
and checked by kubeconform (strict, Kubernetes' and the operators' schemas) and checkov, the values
schema refusing bad input, and the repository's config files loaded through the chart's symlinks."""

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import REPO, install, run
from tests.k8s.chart import CHART, CI_VALUES, KUBE_VERSION, by_kind, render, template
from tests.k8s.schemas import crd_schemas, kubernetes_schemas

VALUES_IDS = [path.stem for path in CI_VALUES]


@pytest.mark.parametrize("values", CI_VALUES, ids=VALUES_IDS)
def test_chart_lints_clean(helm, values):
    result = run(
        [helm, "lint", "--strict", str(CHART), "--values", str(values), "--kube-version", KUBE_VERSION]
    )
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout, result.stdout


def test_unit_suites_pass():
    untt = install("helm-unittest")
    result = run([untt, "--color=false", str(CHART)], check=False)
    summary = re.search(r"Tests:\s+(\d+) passed", result.stdout)
    assert result.returncode == 0 and summary, result.stdout + result.stderr
    print(f"helm-unittest: {summary.group(0)}")


def kubeconform(crds: str, manifest) -> tuple[int, dict]:
    """kubeconform -strict on manifest with Kubernetes' and the CRDs' schemas: (exit code, report)."""
    builtin = kubernetes_schemas(install("kubernetes-validate"), KUBE_VERSION)
    custom = crd_schemas(crds)
    # No -ignore-missing-schemas: a kind without a schema fails.
    result = run(
        [
            install("kubeconform"),
            "-strict",
            "-summary",
            "-output",
            "json",
            "-schema-location",
            f"{builtin}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
            "-schema-location",
            f"{custom}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
            str(manifest),
        ],
        check=False,
    )
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("values", CI_VALUES, ids=VALUES_IDS)
def test_rendered_objects_pass_kubeconform_strict(helm, crds, values, tmp_path):
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(template(helm, values).stdout)
    code, report = kubeconform(crds, manifest)
    assert code == 0, json.dumps(report["resources"], indent=1)
    summary = report["summary"]
    assert summary["valid"] == len(yaml_documents(manifest)) and summary["skipped"] == 0, summary
    print(f"kubeconform {values.stem}: {summary}")


def test_kubeconform_refuses_what_the_schemas_do_not_declare(crds, tmp_path):
    """The schemas are strict, Kubernetes' and the CRDs' alike: an unknown field or a wrong type fails."""
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(BAD_OBJECTS)
    code, report = kubeconform(crds, manifest)
    assert code != 0 and report["summary"]["invalid"] == 3, report


BAD_OBJECTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: i, bogusField: 1}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: x}
spec:
  selector: {}
  endpoints: [{port: http, bogus: 1}]
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: x}
spec:
  instances: "three"
"""


def yaml_documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_rendered_objects_pass_checkov(helm, tmp_path):
    """checkov's Kubernetes checks on what helm renders for every ci/*-values.yaml, in one run (its helm
    framework does the same rendering, with the chart's default values only); the skips are justified in
    .checkov.yaml beside the chart."""
    for values in CI_VALUES:
        (tmp_path / values.stem).mkdir()
        (tmp_path / values.stem / "manifest.yaml").write_text(template(helm, values).stdout)
    result = run(
        [install("checkov"), "--skip-download", "--framework", "kubernetes", "--compact",
         "--output", "json", "--config-file", str(CHART / ".checkov.yaml"), "--directory", str(tmp_path)],
        check=False,
    )  # fmt: skip
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [(check["check_id"], check["resource"]) for check in report["results"]["failed_checks"]]
    assert result.returncode == 0 and not failed, failed
    rendered = {Path(check["file_path"]).parent.name for check in report["results"]["passed_checks"]}
    assert rendered == set(VALUES_IDS), rendered
    counts = {key: summary[key] for key in ("passed", "failed", "skipped")}
    print(f"checkov: {counts}")


@pytest.mark.parametrize("values", CI_VALUES, ids=VALUES_IDS)
def test_no_secret_is_rendered(helm, values):
    objects = render(helm, values)
    assert by_kind(objects, "Secret") == []


def test_chart_files_are_the_repositorys_files():
    """files/ holds symlinks into the repository, never copies (one source for every runtime)."""
    links = {path.name: path for path in (CHART / "files").iterdir()}
    assert links, "files/ is empty"
    for name, path in links.items():
        assert path.is_symlink(), f"files/{name} is a copy, not a symlink into the repository"
        assert path.resolve().is_relative_to(REPO) and path.resolve().exists(), f"files/{name} points nowhere"


def test_nginx_gets_the_repositorys_config_files_as_they_are(helm):
    (config,) = [
        item
        for item in by_kind(render(helm, CI_VALUES[0]), "ConfigMap")
        if item["metadata"]["name"].endswith("-nginx")
    ]
    for path in (REPO / "nginx").glob("*.conf"):
        assert config["data"][path.name] == path.read_text(), path.name
    # and the address files nginx.conf includes, for this runtime
    for generated in (
        "web-replicas.conf",
        "listen-public.conf",
        "listen-internal.conf",
        "limits.conf",
        "timeouts.conf",
        "access-log.conf",
    ):
        assert generated in config["data"], generated


def test_collector_gets_the_repositorys_config(helm):
    (config,) = [
        item
        for item in by_kind(render(helm, CI_VALUES[0]), "ConfigMap")
        if item["metadata"]["name"].endswith("-collector")
    ]
    assert config["data"]["config.yaml"] == (REPO / "monitoring/otel-collector/config.yaml").read_text()


def test_collector_is_given_every_variable_its_config_reads(helm):
    """The collector config takes its addresses from ${env:NAME}: the Deployment sets each."""
    read = set(re.findall(r"\$\{env:(\w+)\}", (REPO / "monitoring/otel-collector/config.yaml").read_text()))
    (deployment,) = [
        item
        for item in by_kind(render(helm, CI_VALUES[0]), "Deployment")
        if item["metadata"]["name"].endswith("-collector")
    ]
    given = {variable["name"] for variable in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert read and read <= given, read - given


def test_ports_come_from_ports_env(helm):
    ports = dict(
        line.split("=", 1)
        for line in (REPO / "ports.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    objects = render(helm, CI_VALUES[0])
    (web,) = [item for item in by_kind(objects, "Deployment") if item["metadata"]["name"].endswith("-web")]
    assert web["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] == int(
        ports["WEB_PORT"]
    )
    (nginx,) = [item for item in by_kind(objects, "ConfigMap") if item["metadata"]["name"].endswith("-nginx")]
    assert nginx["data"]["listen-public.conf"] == f"listen {ports['NGINX_PORT']};\n"


def test_packaged_chart_carries_the_linked_files(helm, tmp_path):
    """helm package follows the symlinks: a chart pulled from a repository has the files themselves."""
    run([helm, "package", str(CHART), "--destination", str(tmp_path)])
    (archive,) = tmp_path.glob("tweetstack-*.tgz")
    listing = run(["tar", "-tzf", str(archive)]).stdout.split()
    assert "tweetstack/files/nginx/nginx.conf" in listing
    assert "tweetstack/files/prometheus-rules/web.yml" in listing
    assert not any(name.startswith("tweetstack/tests/") for name in listing)


def test_checklist_runs_every_interval_of_its_staleness_alert(helm):
    """The CronJob's schedule is ProductionReadinessChecklistStale's interval (the one the other
    runtimes' `--every` reads from the rule), not a number of the chart's own."""
    seconds = int(
        re.search(r"> 3 \* (\d+)", (REPO / "monitoring/prometheus/rules/checklist.yml").read_text())[1]
    )
    objects = render(helm, CI_VALUES[0])
    (cronjob,) = by_kind(objects, "CronJob")
    assert cronjob["spec"]["schedule"] == f"*/{seconds // 60} * * * *"
    assert cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] < seconds
    # Every rendering: the CronJob and the web replicas mount one status claim, the chart's own or the
    # existing one the values name.
    for values in CI_VALUES:
        objects = render(helm, values)
        mounted = {
            item["kind"]: {volume["persistentVolumeClaim"]["claimName"] for volume in spec["volumes"]
                           if volume["name"] == "status"}
            for item in objects
            if (spec := _pod_spec(item)) and item["metadata"]["name"].endswith(("-web", "-checklist"))
        }  # fmt: skip
        assert mounted.keys() == {"Deployment", "CronJob"} and len(set(map(frozenset, mounted.values()))) == 1
        (claim,) = mounted["CronJob"]
        given = yaml.safe_load(values.read_text()).get("checklist", {}).get("status", {}).get("existingClaim")
        rendered = [item["metadata"]["name"] for item in by_kind(objects, "PersistentVolumeClaim")]
        assert claim == given if given else claim in rendered, (values.stem, claim, rendered)


def _pod_spec(item: dict) -> dict | None:
    if item["kind"] == "CronJob":
        return item["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if item["kind"] == "Deployment":
        return item["spec"]["template"]["spec"]
    return None


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (["--set", "existingSecret="], "/existingSecret"),
        (["--set-json", 'allowedHosts=["*"]'], "/allowedHosts/0"),
        (["--set", "web.replicas=0"], "/web/replicas"),
        (["--set", "postgresql.mode=sqlite"], "/postgresql/mode"),
        (["--set", "web.unknown=1"], "unknown"),
        (["--set", "ports.web=9000"], "additional properties 'ports' not allowed"),
        (
            [
                "--set",
                "web.autoscaling.enabled=true,web.autoscaling.minReplicas=5,web.autoscaling.maxReplicas=2",
            ],
            "minReplicas",
        ),
        (["--set", "postgresql.cnpg.instances=1"], "synchronous.number"),
        (["--set", "checklist.schedule=every five minutes"], "/checklist/schedule"),
        (["--set", "checklist.prometheusURL=prometheus:9090"], "/checklist/prometheusURL"),
    ],
)
def test_bad_values_are_refused_with_the_reason(helm, setting, message):
    result = template(helm, CI_VALUES[0], *setting, check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr
