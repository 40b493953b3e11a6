"""The Compose files, as Docker Compose itself loads them (docker-compose config, no engine needed),
against the Compose Specification schema, and cross-checked with the shared configs they mount."""

import json
import re

import pytest

from stack import render
from stack.ports import declared
from tests.deploy.conftest import COMPOSE_FILES, REPO, TEST_ENV, run
from tests.deploy.test_compose_alerting import ALERT_ENV
from tests.deploy.test_compose_offsite import REPO2_ENV

PORTS = declared()
SECRETS = ["POSTGRES_PASSWORD", "DJANGO_SECRET_KEY", "METRICS_TOKEN", "GRAFANA_ADMIN_PASSWORD"]
# Containers that run to completion; the others depend on their exit code, not their health.
ONE_SHOT = {"migrate"}
SHARED_CONFIGS = [
    "nginx/nginx.conf",
    "nginx/proxy.conf",
    "nginx/security-headers.conf",
    "monitoring/prometheus/prometheus.yml",
    "monitoring/prometheus/rules",
    "monitoring/alertmanager/alertmanager.yml",
    "monitoring/alertmanager/receivers.yml",
    "monitoring/otel-collector/config.yaml",
    "monitoring/jaeger/config.yaml",
    "monitoring/mtail/nginx.mtail",
]


def mounts(service: dict) -> dict[str, str]:
    """target -> source (relative to the repository) of a service's bind mounts."""
    return {
        volume["target"]: str(volume["source"]).removeprefix(str(REPO) + "/")
        for volume in service.get("volumes", [])
        if volume["type"] == "bind"
    }


def binds(model: dict) -> dict[str, str]:
    """source (relative to the repository) -> service, for every bind mount."""
    found = {}
    for name, service in model["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                found[str(volume["source"]).removeprefix(str(REPO) + "/")] = name
    return found


@pytest.mark.parametrize("compose_file", COMPOSE_FILES)
def test_compose_file_matches_the_compose_specification(check_jsonschema, compose_file, tmp_path):
    # Compose's merge tags (!reset, !override) are not part of the schema's YAML; the value after
    # each is, so the file is checked with the tags dropped (the merged model is checked below).
    untagged = tmp_path / compose_file
    untagged.write_text(re.sub(r"!(reset|override)(?=\s)", "", (REPO / compose_file).read_text()))
    result = run([check_jsonschema, "--builtin-schema", "vendor.compose-spec", str(untagged)], check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_merged_production_model_matches_the_compose_specification(check_jsonschema, compose, tmp_path):
    merged = tmp_path / "merged.yml"
    merged.write_text(compose(COMPOSE_FILES, {"WEB_REPLICAS": "3"}).stdout)
    result = run([check_jsonschema, "--builtin-schema", "vendor.compose-spec", str(merged)], check=False)
    assert result.returncode == 0, result.stdout + result.stderr


OVERLAYS = {"docker-compose.alerting.yml": ALERT_ENV, "docker-compose.offsite.yml": REPO2_ENV}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_an_overlay_and_its_merged_model_match_the_compose_spec(check_jsonschema, compose, overlay, tmp_path):
    env = OVERLAYS[overlay]
    merged = tmp_path / "merged.yml"
    merged.write_text(compose([*COMPOSE_FILES, overlay], env).stdout)
    for path in (REPO / overlay, merged):
        result = run([check_jsonschema, "--builtin-schema", "vendor.compose-spec", str(path)], check=False)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("files", [COMPOSE_FILES[:1], COMPOSE_FILES], ids=["development", "production"])
def test_docker_compose_loads_the_files(compose, files):
    compose(files, {}, "--quiet")


@pytest.mark.parametrize("secret", SECRETS)
def test_a_missing_secret_stops_compose_naming_it(compose, secret):
    result = compose(COMPOSE_FILES, {secret: None}, "--quiet", check=False)
    assert result.returncode != 0
    assert secret in result.stderr


def test_no_secret_has_a_default_in_the_compose_files():
    for compose_file in COMPOSE_FILES:
        text = (REPO / compose_file).read_text()
        for secret in SECRETS:
            assert not re.search(rf"\$\{{{secret}:?-", text), f"{compose_file} gives {secret} a default"


def test_web_replicas_sets_the_number_of_web_containers(compose_prod, compose_dev):
    assert compose_prod["services"]["web"]["deploy"]["replicas"] == 3
    assert "replicas" not in compose_dev["services"]["web"].get("deploy", {})


def test_every_service_has_a_healthcheck(compose_prod):
    dockerfiles = {
        "Dockerfile": (REPO / "Dockerfile").read_text(),
        "monitoring/otel-collector": (REPO / "monitoring/otel-collector/Dockerfile").read_text(),
        "monitoring/mtail": (REPO / "monitoring/mtail/Dockerfile").read_text(),
    }
    for name, service in compose_prod["services"].items():
        if name in ONE_SHOT:
            continue
        check = service.get("healthcheck")
        if check and not check.get("disable"):
            assert check["test"], name
            continue
        # Else the image built here must carry one (HEALTHCHECK in its stage).
        build = service.get("build")
        assert build, f"{name} has no healthcheck"
        context = str(build["context"]).removeprefix(str(REPO)).strip("/") or "Dockerfile"
        text = dockerfiles[context]
        if build.get("target"):
            text = text.split(f" AS {build['target']}\n", 1)[1].split("\nFROM ", 1)[0]
        assert "HEALTHCHECK" in text, f"{name} has no healthcheck"


def test_dependencies_wait_for_health_or_completion(compose_prod):
    assert (
        compose_prod["services"]["web"]["depends_on"]["migrate"]["condition"]
        == "service_completed_successfully"
    )
    assert compose_prod["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert compose_prod["services"]["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_production_is_bounded_restarted_and_logs_are_capped(compose_prod):
    for name, service in compose_prod["services"].items():
        assert service.get("deploy", {}).get("resources", {}).get("limits", {}).get("memory"), name
        assert service["logging"]["driver"] == "json-file", name
        assert service["logging"]["options"]["max-size"], name
        assert service.get("privileged") is not True, name
        assert service.get("network_mode", "") != "host", name
        if name not in ONE_SHOT:
            assert service.get("restart") == "unless-stopped", name


def test_production_publishes_only_nginx_and_loopback_uis(compose_prod):
    for name, service in compose_prod["services"].items():
        for port in service.get("ports", []):
            assert name == "nginx" or port.get("host_ip") == "127.0.0.1", (name, port)
    for name in ("postgres", "redis", "web", "prometheus", "jaeger"):
        assert not compose_prod["services"][name].get("ports"), name
    assert compose_prod["networks"]["back"].get("internal") is True
    for name in ("postgres", "redis"):
        assert set(compose_prod["services"][name]["networks"]) == {"back"}


def test_production_web_runs_the_image_code_with_production_settings(compose_prod):
    web = compose_prod["services"]["web"]
    assert web.get("command") is None, "production runs the image's gunicorn command, without --reload"
    assert all(volume["type"] != "bind" for volume in web["volumes"]), "no code mount in production"
    assert web["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert web["read_only"] is True


def test_images_are_pinned_or_built_here(compose_prod):
    pinned = {
        line.split("=", 1)[1]
        for line in (REPO / "versions.env").read_text().splitlines()
        if "_IMAGE=" in line
    }
    for name, service in compose_prod["services"].items():
        image = service["image"]
        assert image in pinned or image.startswith("tweetstack-"), f"{name}: {image}"


@pytest.mark.parametrize("model", ["compose_dev", "compose_prod"])
def test_a_locally_built_image_is_never_pulled(model, request):
    # A service that runs an image built here by another service, with neither a build section nor a
    # pull policy, made `up --build` try to pull it from a registry first (and fail).
    services = request.getfixturevalue(model)["services"]
    built = {service["image"] for service in services.values() if "build" in service}
    for name, service in services.items():
        if service["image"] in built and "build" not in service:
            assert service.get("pull_policy") == "never", name


def test_every_mounted_file_exists_and_shared_configs_are_mounted_as_they_are(compose_prod):
    mounted = binds(compose_prod)
    for source in mounted:
        if source == "monitoring/grafana":
            continue  # Grafana's provisioning folder is another issue's; the contract is this path
        assert (REPO / source).exists(), f"{mounted[source]} mounts {source}, which does not exist"
    for config in SHARED_CONFIGS:
        assert config in mounted, f"{config} is not mounted"
    assert "monitoring/grafana" in mounted


def test_no_shared_config_is_copied_elsewhere_in_the_repository():
    shared = {(REPO / path).read_bytes(): path for path in SHARED_CONFIGS if (REPO / path).is_file()}
    tracked = run(["git", "ls-files", "-z"]).stdout.split("\0")
    for path in filter(None, tracked):
        file = REPO / path
        # A symlink to a shared config (the Helm chart's files/) is the config itself, not a copy.
        if (
            file.is_file()
            and not file.is_symlink()
            and path not in shared.values()
            and file.stat().st_size < 1_000_000
        ):
            assert file.read_bytes() not in shared, f"{path} is a copy of {shared[file.read_bytes()]}"


def test_addresses_agree_with_the_images_and_shared_configs(compose_prod):
    services = compose_prod["services"]
    configs = compose_prod["configs"]
    web_port = services["web"]["environment"]["GUNICORN_BIND"].rsplit(":", 1)[1]
    assert re.search(rf"^server web:{web_port} resolve;$", configs["nginx-web-replicas"]["content"], re.M)
    assert services["prometheus-targets"]["environment"]["WEB_PORT"] == web_port
    # nginx's body limit follows the app's upload limit as the native stack derives it.
    image_max_bytes = int(services["web"]["environment"]["IMAGE_MAX_BYTES"])
    expected = image_max_bytes + render.upload_form_overhead()
    assert configs["nginx-limits"]["content"].strip() == f"client_max_body_size {expected};"
    # The nginx healthcheck and exporter use the internal listener's port.
    internal = re.search(r"listen (\d+);", configs["nginx-listen-internal"]["content"]).group(1)
    assert f":{internal}/stub_status" in " ".join(services["nginx"]["healthcheck"]["test"])
    assert f"nginx:{internal}/stub_status" in " ".join(services["nginx-exporter"]["command"])
    # The public listeners, plain and TLS, are the ports published.
    public = re.findall(r"^listen (\d+)(?: ssl)?;$", configs["nginx-listen-public"]["content"], re.M)
    assert [str(p["target"]) for p in services["nginx"]["ports"]] == public
    assert re.search(
        rf"^listen {PORTS['NGINX_HTTPS_PORT']} ssl;$", configs["nginx-listen-public"]["content"], re.M
    )


def test_nginx_serves_the_certificate_from_files_and_the_checklist_verifies_it(compose_prod):
    secrets = compose_prod["secrets"]
    assert secrets["tls-certificate"]["file"] == TEST_ENV["TLS_CERT_FILE"]
    assert secrets["tls-key"]["file"] == TEST_ENV["TLS_KEY_FILE"]
    nginx = compose_prod["services"]["nginx"]
    assert {secret["source"] for secret in nginx["secrets"]} == {"tls-certificate", "tls-key"}
    listen = compose_prod["configs"]["nginx-listen-public"]["content"]
    assert "ssl_certificate /run/secrets/tls-certificate;" in listen
    assert "ssl_certificate_key /run/secrets/tls-key;" in listen
    assert "include tls.conf;" in listen
    assert mounts(nginx)["/etc/tweetstack/nginx/tls.conf"] == "nginx/tls.conf"
    command = compose_prod["services"]["checklist"]["command"]
    assert command[command.index("--url") + 1] == f"https://localhost:{PORTS['NGINX_HTTPS_PORT']}"
    assert command[command.index("--server-name") + 1] == TEST_ENV["TLS_SERVER_NAME"]
    assert command[command.index("--ca-file") + 1] == "/run/secrets/tls-ca"


def test_alert_receiver_listens_where_alertmanager_posts(compose_prod):
    sink = compose_prod["services"]["alert-sink"]
    assert sink["network_mode"] == "service:alertmanager"
    # The sink reads its port from the receivers file Alertmanager is given.
    receivers = sink["entrypoint"][sink["entrypoint"].index("--receivers") + 1]
    assert mounts(sink)[receivers] == "monitoring/alertmanager/receivers.yml"
    assert sink["healthcheck"]["test"][1:] == [*sink["entrypoint"], "--check"]


def test_alertmanager_loads_the_routes_followed_by_the_receivers(compose_prod):
    alertmanager = compose_prod["services"]["alertmanager"]
    script = alertmanager["entrypoint"][2]
    # `config` prints the file's `$$` escape as it is; the container's shell gets "$@".
    pattern = r"cat (\S+) (\S+) > (\S+) && exec /bin/alertmanager --config.file=(\S+) \"\$\$@\""
    joined = re.fullmatch(pattern, script)
    assert joined, script
    routes, receivers, output, config = joined.groups()
    assert output == config
    assert mounts(alertmanager)[routes] == "monitoring/alertmanager/alertmanager.yml"
    assert mounts(alertmanager)[receivers] == "monitoring/alertmanager/receivers.yml"
    # Written where the image's user can write: the data volume.
    data = next(v["target"] for v in alertmanager["volumes"] if v.get("source") == "alertmanager-data")
    assert output.startswith(data + "/")


def test_prometheus_gets_a_target_list_for_every_job(compose_prod):
    targets = compose_prod["services"]["prometheus-targets"]
    assert mounts(targets)[targets["environment"]["JOBS_FILE"]] == "monitoring/prometheus/jobs.json"
    # Every port jobs.json names reaches the writer (its env_file, ports.env).
    jobs = json.loads((REPO / "monitoring/prometheus/jobs.json").read_text())
    assert {job["port"] for job in jobs.values()} <= set(targets["environment"])
    prometheus_yml = (REPO / "monitoring/prometheus/prometheus.yml").read_text()
    secret_target = compose_prod["services"]["prometheus"]["secrets"][0]["target"]
    credentials = re.search(r"credentials_file:\s*(\S+)", prometheus_yml).group(1)
    assert secret_target == f"/etc/prometheus/{credentials}"


@pytest.mark.parametrize(
    ("service", "config"),
    [
        ("otel-collector", "monitoring/otel-collector/config.yaml"),
        ("jaeger", "monitoring/jaeger/config.yaml"),
    ],
)
def test_every_address_the_config_reads_is_set(compose_prod, service, config):
    wanted = set(re.findall(r"\$\{env:(\w+)\}", (REPO / config).read_text()))
    assert wanted <= set(compose_prod["services"][service]["environment"]), wanted


def test_example_env_file_names_every_variable_compose_requires():
    example = dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text().splitlines()
        if "=" in line and line[0] != "#"
    )
    assert set(TEST_ENV) == set(example)
    assert all(example[secret] == "change-me" for secret in SECRETS)


def test_mtail_reads_the_access_log_nginx_writes_on_a_shared_volume(compose_prod):
    services = compose_prod["services"]

    def mount(service, volume):
        return next(v for v in services[service]["volumes"] if v.get("source") == volume)

    access_log = compose_prod["configs"]["nginx-access-log"]["content"]
    log_file = re.search(r"^access_log (\S+) json;$", access_log, re.M).group(1)
    nginx_dir = mount("nginx", "nginx-logs")["target"]
    # nginx's prefix is /srv/www (the image's CMD): a relative path is under it.
    assert f"/srv/www/{log_file}".startswith(nginx_dir + "/")
    mtail = mount("mtail", "nginx-logs")
    assert mtail["read_only"] is True
    read = services["mtail"]["command"][services["mtail"]["command"].index("--logs") + 1]
    assert read == mtail["target"] + f"/srv/www/{log_file}".removeprefix(nginx_dir)


def test_node_exporter_reports_the_postgres_volume_and_no_other_mount(compose_prod):
    node = compose_prod["services"]["node-exporter"]
    data = next(v for v in node["volumes"] if v.get("source") == "pgdata")
    assert data["read_only"] is True and data["target"].startswith("/data/")
    flag = next(
        arg for arg in node["command"] if arg.startswith("--collector.filesystem.mount-points-exclude=")
    )
    exclude = re.compile(flag.split("=", 1)[1])
    assert not exclude.search(data["target"])
    for other in (
        "/",
        "/etc/hosts",
        "/etc/resolv.conf",
        "/dev/pts",
        "/proc",
        "/sys/fs/cgroup",
        "/run/secrets",
    ):
        assert exclude.search(other), other
