"""The shared configs under nginx/ and monitoring/ pass their own tools' checks, as every runtime loads them.

Each check runs on the files as the native stack lays them out (stack.render: the shared files linked,
the address files rendered), so what is validated is what runs.
"""

import os
import re
import shutil
import subprocess

import pytest

from stack import ports as port_table
from stack import render
from stack.alert_sink import webhook_port
from stack.layout import ALERTMANAGER_ROUTES, LOCAL_RECEIVERS, REPO, Stack

SHARED_CONFIGS = [
    *sorted((REPO / "nginx").glob("*.conf")),
    REPO / "monitoring" / "prometheus" / "prometheus.yml",
    *sorted((REPO / "monitoring" / "prometheus" / "rules").glob("*.yml")),
    *sorted((REPO / "monitoring" / "prometheus" / "tests").glob("*.yml")),
    *sorted((REPO / "monitoring" / "alertmanager").glob("*.yml")),
    REPO / "monitoring" / "otel-collector" / "config.yaml",
    REPO / "monitoring" / "jaeger" / "config.yaml",
    REPO / "monitoring" / "mtail" / "nginx.mtail",
    REPO / "monitoring" / "postgres-exporter" / "queries.yaml",
    REPO / "monitoring" / "blackbox" / "blackbox.yml",
    *sorted((REPO / "postgres").glob("*.conf")),
]


def tool(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if not path:
        pytest.fail(f"{binary} not found: install it with `apt-get install -y {package}` (.ci/run does)")
    return path


def run(*command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Stack:
    """The stack's generated files in a temporary state folder (nothing started)."""
    state = tmp_path_factory.mktemp("stack")
    stack = Stack.from_env({"STACK_DIR": str(state), "STACK_SCRAPE_INTERVAL": "1s"})
    render.render_nginx(stack, image_max_bytes=5 * 1024 * 1024)
    render.render_prometheus(stack, metrics_token="test-token")
    render.render_alertmanager(stack)
    return stack


@pytest.fixture(scope="module")
def otel_binaries() -> dict[str, str]:
    result = run(str(REPO / "scripts" / "build-otel.sh"))
    return dict(line.split("=", 1) for line in result.stdout.split())


@pytest.mark.parametrize("path", SHARED_CONFIGS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_shared_config_opens_with_what_it_is_and_who_loads_it(path):
    first, second = path.read_text().splitlines()[:2]
    assert first.startswith(("#", ";")) and second.startswith(("#", ";")), path
    assert "load" in second.lower() or "load" in first.lower(), path


def test_nginx_accepts_its_config(rendered):
    nginx = tool("nginx", "nginx-light")
    run(nginx, "-t", "-q", "-p", f"{rendered.www}/", "-c", str(rendered.path("etc", "nginx", "nginx.conf")))


def test_nginx_body_limit_follows_the_app_image_limit(rendered):
    limits = rendered.path("etc", "nginx", "limits.conf").read_text()
    assert limits == f"client_max_body_size {5 * 1024 * 1024 + render.upload_form_overhead()};\n"


def test_nginx_upstream_lists_one_server_per_replica(rendered):
    servers = rendered.path("etc", "nginx", "web-replicas.conf").read_text().splitlines()
    assert servers == [f"server 127.0.0.1:{port};" for port in rendered.web_ports()]


def access_log_line(**fields) -> str:
    """One line as nginx's `log_format json` (nginx/nginx.conf) writes it, variables given or defaulted."""
    conf = (REPO / "nginx" / "nginx.conf").read_text()
    statement = re.search(r"log_format json escape=json (.*?);\n", conf, re.S).group(1)
    template = "".join(re.findall(r"'([^']*)'", statement))
    defaults = {
        "status": "200",
        "upstream_status": "200",
        "request_uri": "/",
        "time_iso8601": "2026-01-01T00:00:00+00:00",
    }
    values = defaults | fields
    return re.sub(r"\$(\w+)", lambda match: str(values.get(match.group(1), "0")), template)


def test_mtail_counts_responses_and_upstream_errors_of_nginx_s_log_format(tmp_path):
    mtail = tool("mtail", "mtail")
    lines = [
        access_log_line(),
        access_log_line(status="304", upstream_status=""),
        # A URI cannot fake the status field: nginx escapes its quotes (escape=json).
        access_log_line(status="404", upstream_status="404", request_uri='/\\"status\\":502,'),
        access_log_line(status="500", upstream_status="500"),
        # A replica refused; nginx retried on the other one: an upstream error the client did not see.
        access_log_line(status="200", upstream_status="502, 200"),
        access_log_line(status="502", upstream_status="502"),
        access_log_line(status="504", upstream_status="504"),
        # nginx's error lines share the native stack's log; they are not requests.
        "2026/01/01 00:00:00 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting"
        ' to upstream, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1"',
    ]
    log = tmp_path / "nginx.log"
    log.write_text("\n".join(lines) + "\n")
    result = run(
        mtail, "--progs", str(REPO / "monitoring" / "mtail"), "--logs", str(log), "--one_shot",
        "--one_shot_format", "prometheus", "--address", "127.0.0.1", "--port", "0", "--logtostderr",
    )  # fmt: skip
    samples = dict(re.findall(r"^(nginx_log_\w+(?:\{[^}]*\})?) (\S+)$", result.stdout, re.M))
    assert samples == {
        'nginx_log_requests_total{prog="nginx.mtail"}': "7",
        'nginx_log_responses_total{prog="nginx.mtail",status_class="2xx"}': "2",
        'nginx_log_responses_total{prog="nginx.mtail",status_class="3xx"}': "1",
        'nginx_log_responses_total{prog="nginx.mtail",status_class="4xx"}': "1",
        'nginx_log_responses_total{prog="nginx.mtail",status_class="5xx"}': "3",
        'nginx_log_upstream_errors_total{prog="nginx.mtail"}': "3",
        'nginx_log_gateway_errors_total{prog="nginx.mtail"}': "2",
    }


def test_mtail_exports_its_unlabelled_counters_at_zero_before_any_request(tmp_path):
    mtail = tool("mtail", "mtail")
    (tmp_path / "nginx.log").write_text("")
    result = run(
        mtail, "--progs", str(REPO / "monitoring" / "mtail"), "--logs", str(tmp_path / "nginx.log"),
        "--one_shot", "--one_shot_format", "prometheus", "--address", "127.0.0.1", "--port", "0",
        "--logtostderr",
    )  # fmt: skip
    for name in ("requests", "upstream_errors", "gateway_errors"):
        assert f'nginx_log_{name}_total{{prog="nginx.mtail"}} 0\n' in result.stdout


def test_node_exporter_reports_only_the_filesystem_holding_the_data(rendered):
    exclude = re.compile(render.node_exporter_mount_exclusion(rendered))
    data = render.mount_point(rendered.pgdata)
    assert not exclude.search(data)
    others = render.mount_points() - {data}
    assert all(exclude.search(point) for point in others)


def test_prometheus_accepts_its_config_and_rules(rendered):
    promtool = tool("promtool", "prometheus")
    result = run(promtool, "check", "config", str(rendered.path("etc", "prometheus", "prometheus.yml")))
    assert "SUCCESS" in result.stdout + result.stderr


def test_prometheus_rule_tests_pass():
    promtool = tool("promtool", "prometheus")
    tests = sorted((REPO / "monitoring" / "prometheus" / "tests").glob("*.yml"))
    assert tests
    run(promtool, "test", "rules", *map(str, tests))


def test_every_alert_has_for_severity_annotations_and_an_existing_runbook():
    # Read as text (the project has no YAML library); promtool has already parsed the files.
    alerts = 0
    for path in (REPO / "monitoring" / "prometheus" / "rules").glob("*.yml"):
        for block in re.split(r"\n\s*- (?=alert:|record:)", path.read_text())[1:]:
            if not block.startswith("alert:"):
                continue
            alerts += 1
            for key in ("for:", "severity:", "summary:", "description:", "runbook_url:"):
                assert re.search(rf"^\s+{key}", block, re.M), (
                    f"{path.name}: {block.splitlines()[0]} lacks {key}"
                )
            runbook = re.search(r"runbook_url:\s*\"?([^\"\s]+)", block).group(1)
            assert (REPO / runbook).is_file(), f"{runbook} does not exist"
    assert alerts


def test_every_scrape_job_gets_a_target_file(rendered):
    jobs = re.findall(
        r"files: \[targets/([\w-]+)\.json\]", (REPO / "monitoring/prometheus/prometheus.yml").read_text()
    )
    assert {"nginx-log", "node"} <= set(jobs)
    for job in jobs:
        assert rendered.path("etc", "prometheus", "targets", f"{job}.json").is_file(), job


def test_scrape_interval_override_is_a_target_label_not_a_copied_config(rendered):
    import json

    groups = json.loads(rendered.path("etc", "prometheus", "targets", "web.json").read_text())
    assert [group["labels"]["__scrape_interval__"] for group in groups] == ["1s", "1s"]
    assert rendered.path("etc", "prometheus", "prometheus.yml").resolve() == (
        REPO / "monitoring" / "prometheus" / "prometheus.yml"
    )


def test_the_blackbox_exporter_accepts_its_config():
    blackbox = tool("prometheus-blackbox-exporter", "prometheus-blackbox-exporter")
    run(blackbox, f"--config.file={REPO / 'monitoring' / 'blackbox' / 'blackbox.yml'}", "--config.check")


def test_the_tls_job_probes_the_https_listener_through_the_blackbox_exporter(rendered):
    import json

    groups = json.loads(rendered.path("etc", "prometheus", "targets", "tls.json").read_text())
    assert [group["targets"] for group in groups] == [[f"127.0.0.1:{rendered.ports['blackbox-exporter']}"]]
    assert groups[0]["labels"]["__param_target"] == rendered.site_url("/healthz")


def test_alertmanager_accepts_its_config(rendered):
    amtool = tool("amtool", "prometheus-alertmanager")
    run(amtool, "check-config", str(render.alertmanager_path(rendered)))
    # Without an override, the routes and receivers.yml exactly as they are.
    assert render.alertmanager_path(rendered).read_text() == ALERTMANAGER_ROUTES.read_text() + (
        LOCAL_RECEIVERS.read_text()
    )


def test_a_second_stack_moves_its_alert_sink_with_stack_port_alert_sink(tmp_path):
    stack = Stack.from_env({"STACK_DIR": str(tmp_path), "STACK_PORT_ALERT_SINK": "19097"})
    render.render_alertmanager(stack)
    config = render.alertmanager_path(stack)
    run(tool("amtool", "prometheus-alertmanager"), "check-config", str(config))
    assert set(re.findall(r"url: (\S+)", config.read_text())) == {"http://127.0.0.1:19097/alerts"}
    # The sink, started with this file, listens where Alertmanager posts; the port check knows it.
    assert webhook_port(config) == 19097
    assert stack.listening()["alert-sink"] == 19097
    assert Stack.from_env({"STACK_DIR": str(tmp_path)}).alert_port == webhook_port(LOCAL_RECEIVERS)


def test_collector_and_jaeger_accept_their_configs(rendered, otel_binaries):
    env = {**os.environ, **render.otel_environment(rendered)}
    run(
        otel_binaries["OTELCOL_BIN"],
        "validate",
        f"--config={REPO / 'monitoring/otel-collector/config.yaml'}",
        env=env,
    )
    run(
        otel_binaries["JAEGER_BIN"], "validate", f"--config={REPO / 'monitoring/jaeger/config.yaml'}", env=env
    )


def test_collector_config_names_every_variable_the_stack_sets(rendered):
    used = set()
    for path in ("monitoring/otel-collector/config.yaml", "monitoring/jaeger/config.yaml"):
        used |= set(re.findall(r"\$\{env:(\w+)\}", (REPO / path).read_text()))
    given = set(render.otel_environment(rendered))
    assert used <= given, used - given
    # Beyond what the configs read, only ports (the stack passes all of ports.env's, as Compose does).
    assert all(name.endswith("_PORT") for name in given - used), given - used


def test_the_port_table_refuses_a_port_in_use():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(
            port_table.PortError, match=f"port {port} \\(nginx\\) is already in use.*STACK_PORT_NGINX"
        ):
            port_table.check_free({"nginx": port})
