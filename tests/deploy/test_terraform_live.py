"""terraform apply, live, against the same local Docker Engine: web_replicas=3 and the same smoke test
through its nginx, then web_replicas=1 (one container, one upstream server, one Prometheus target),
then destroy (nothing it made is left).

Grafana and Loki cannot be built here (see test_compose_live.py): every other container is applied
by -target, and their two images, which Terraform would pull with the rest, are given as a local
image through image_overrides so that no pull is tried; no container of theirs is made.
"""

import json
import os
import re
import uuid

import pytest

from tests.deploy.conftest import REPO, TERRAFORM_DIR, TEST_ENV, run
from tests.deploy.live import JAEGER_URL, PROMETHEUS_URL, Browser, http, png_bytes, tls_files, wait_until
from tests.deploy.test_compose_live import OFFLINE_BACKUP_ARGS
from tests.harness import free_port

PROJECT = "tweetstack-tftest"
NOT_BUILDABLE = {"grafana", "loki"}


def containers_in_config() -> list[str]:
    """The address of every container: a call of modules/container (every replica of a counted call)."""
    import hcl2

    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    addresses = []
    for path in sorted(TERRAFORM_DIR.glob("*.tf")):
        config = hcl2.loads(path.read_text(), serialization_options=options)
        for calls in config.get("module", []):
            addresses += [
                f"module.{name}"
                for name, call in calls.items()
                if call["source"] == "./modules/container" and name not in NOT_BUILDABLE
            ]
        for resource in config.get("resource", []):
            names = resource.get("docker_container", {})
            addresses += [f"docker_container.{name}" for name in names if name not in NOT_BUILDABLE]
    return addresses


TARGETS = [f"-target={address}" for address in containers_in_config()]


class TerraformDeployment:
    def __init__(self, engine, folder):
        self.engine = engine
        self.folder = folder
        self.state = folder / "terraform.tfstate"
        self.port, self.https_port = free_port(), free_port()
        # nginx's certificate and key from a local CA, uploaded from these files; the checklist and
        # the tests verify the site against that CA.
        self.tls = tls_files(folder / "tls")
        build = run(["bash", str(TERRAFORM_DIR / "provider" / "build.sh")], timeout=1800)
        config_file = build.stdout.strip().split("=", 1)[1].strip("'\"")
        self.env = engine.env | {
            "TF_CLI_CONFIG_FILE": config_file,
            "TF_DATA_DIR": str(folder / "data"),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
        self.terraform("init", "-input=false", "-no-color")

    def terraform(self, *args, timeout=2400):
        result = run(["terraform", *args], cwd=TERRAFORM_DIR, env=self.env, timeout=timeout, check=False)
        if result.returncode != 0:
            pytest.fail(
                f"terraform {args[0]} exited {result.returncode}:\n"
                f"{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
            )
        return result

    def settings(self, replicas: int) -> dict:
        return {
            "docker_host": self.engine.host,
            "project": PROJECT,
            "web_replicas": replicas,
            "public_port": self.port,
            "https_public_port": self.https_port,
            "tls_cert_file": str(self.tls.cert),
            "tls_key_file": str(self.tls.key),
            "tls_ca_file": str(self.tls.ca_cert),
            "tls_server_name": "localhost",
            "public_bind_address": "127.0.0.1",
            "allowed_hosts": ["127.0.0.1", "localhost"],
            "django_secret_key": TEST_ENV["DJANGO_SECRET_KEY"],
            "postgres_password": TEST_ENV["POSTGRES_PASSWORD"],
            "pgbackrest_cipher_pass": TEST_ENV["PGBACKREST_CIPHER_PASS"],
            "metrics_token": TEST_ENV["METRICS_TOKEN"],
            "grafana_admin_password": TEST_ENV["GRAFANA_ADMIN_PASSWORD"],
            "backup_build_args": OFFLINE_BACKUP_ARGS,
            # Images of the two containers not applied (see the module docstring): a local image.
            "image_overrides": {"GRAFANA_IMAGE": "alpine:3.22.2", "LOKI_IMAGE": "alpine:3.22.2"},
        }

    def variables(self, replicas: int) -> list[str]:
        path = self.folder / "test.tfvars.json"
        path.write_text(json.dumps(self.settings(replicas)))
        return [f"-var-file={path}", f"-state={self.state}"]

    def apply(self, replicas: int):
        return self.terraform(
            "apply", "-auto-approve", "-input=false", "-no-color", *TARGETS, *self.variables(replicas)
        )

    def destroy(self):
        return self.terraform("destroy", "-auto-approve", "-input=false", "-no-color", *self.variables(1))

    @property
    def site(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def fetch_inside(self, url: str) -> tuple[int, str]:
        code = (
            "import sys, urllib.request, urllib.error\n"
            "try:\n"
            "    response = urllib.request.urlopen(sys.argv[1], timeout=10)\n"
            "    print(response.status); print(response.read().decode())\n"
            "except urllib.error.HTTPError as error:\n"
            "    print(error.code); print(error.read().decode())\n"
        )
        result = self.engine.docker("exec", f"{PROJECT}-web-0", "python", "-c", code, url)
        status, _, body = result.stdout.partition("\n")
        return int(status), body

    def prometheus(self, query: str) -> list[dict]:
        import urllib.parse

        status, body = self.fetch_inside(f"{PROMETHEUS_URL}/api/v1/query?query={urllib.parse.quote(query)}")
        assert status == 200, body
        return json.loads(body)["data"]["result"]

    def names(self, kind: str) -> list[str]:
        if kind == "container":
            listing = self.engine.docker("ps", "-a", "--format", "{{.Names}}")
        else:
            listing = self.engine.docker(kind, "ls", "--format", "{{.Name}}")
        return [name for name in listing.stdout.split() if name.startswith(PROJECT)]


@pytest.fixture(scope="module")
def deployment(engine, local_images, tmp_path_factory):
    stack = TerraformDeployment(engine, tmp_path_factory.mktemp("terraform-live"))
    try:
        yield stack
    finally:
        if stack.state.exists():
            run(
                ["terraform", "destroy", "-auto-approve", "-no-color", *stack.variables(1)],
                cwd=TERRAFORM_DIR,
                env=stack.env,
                timeout=1200,
                check=False,
            )


def web_targets_up(stack, count: int):
    # The targets Prometheus scrapes now: an `up` query would also return, for five minutes, the last
    # samples of replicas that are gone (Terraform replaces Prometheus when its target files change,
    # so no staleness marker is written for them; seen on the first live run).
    def check():
        status, body = stack.fetch_inside(f"{PROMETHEUS_URL}/api/v1/targets?state=active")
        assert status == 200, body
        web = [t for t in json.loads(body)["data"]["activeTargets"] if t["labels"]["job"] == "web"]
        return len(web) == count and all(target["health"] == "up" for target in web)

    wait_until(check, 150, f"Prometheus does not see {count} web targets up", interval=3)


def test_apply_with_three_replicas_serves_the_site_through_nginx(deployment):
    deployment.apply(3)
    browser = Browser(deployment.site)
    browser.sign_up()
    text = f"Live from Terraform {uuid.uuid4().hex[:8]}"
    request_id = f"terraform-{uuid.uuid4().hex}"
    assert browser.post_tweet(text, png_bytes(), headers={"X-Request-ID": request_id}).status == 302
    explore = http(deployment.site + "/explore/")
    assert explore.status == 200 and text in explore.text
    image = explore.text.split('src="/media/')[1].split('"', 1)[0]
    picture = http(deployment.site + "/media/" + image)
    assert picture.status == 200 and picture.headers["Content-Type"].startswith("image/")
    assert http(deployment.site + "/metrics").status == 404
    web_targets_up(deployment, 3)

    # The POST's trace: its id from the replica's JSON log, the trace from Jaeger.
    def trace_id():
        for index in range(3):
            logs = deployment.engine.docker("logs", f"{PROJECT}-web-{index}")
            for line in (logs.stdout + logs.stderr).splitlines():
                if request_id in line and line.startswith("{"):
                    entry = json.loads(line)
                    if entry.get("event") == "request_finished":
                        return entry["trace_id"]
        return None

    trace = wait_until(trace_id, 60, "the POST's log line is in no replica's log")

    def in_jaeger():
        status, body = deployment.fetch_inside(f"{JAEGER_URL}/api/traces/{trace}")
        return status == 200 and json.loads(body)["data"]

    wait_until(in_jaeger, 60, f"trace {trace} is not in Jaeger")


def test_the_checklist_container_runs_on_its_schedule_and_its_results_are_exported(deployment):
    (container,) = json.loads(deployment.engine.docker("inspect", f"{PROJECT}-checklist").stdout)
    assert container["State"]["Running"] and container["RestartCount"] == 0, container["State"]
    # Its first run's results reach the replicas' /metrics, so Prometheus scrapes them.
    exported = wait_until(
        lambda: deployment.prometheus("tweetstack_checklist_item_status"),
        120,
        "no checklist results exported",
    )
    assert {"security.debug_off", "scaling.replicas"} <= {sample["metric"]["item"] for sample in exported}
    # Behind nginx's TLS, the items that need it pass (2) like the others.
    tls_items = {"security.check_deploy", "security.hsts", "security.cookies"}
    statuses = {sample["metric"]["item"]: sample["value"][1] for sample in exported}
    assert {item: statuses.get(item) for item in tls_items} == dict.fromkeys(tls_items, "2"), statuses


def test_apply_with_one_replica_leaves_one_container_upstream_and_target(deployment):
    deployment.apply(1)
    web = [name for name in deployment.names("container") if re.fullmatch(rf"{PROJECT}-web-\d+", name)]
    assert web == [f"{PROJECT}-web-0"]
    upstreams = deployment.engine.docker(
        "exec", f"{PROJECT}-nginx", "cat", "/etc/tweetstack/nginx/web-replicas.conf"
    ).stdout
    assert len(re.findall(r"^\s*server\s", upstreams, re.MULTILINE)) == 1, upstreams
    web_targets_up(deployment, 1)
    assert http(deployment.site + "/explore/").status == 200


# The release's images that replace the stack's own builds in the deploy below: the app's (the others
# would be built by publish_images.sh as Terraform built them, minutes for nothing new).
RELEASED = ["web", "nginx", "checklist"]
SECRETS = [
    "django_secret_key",
    "postgres_password",
    "pgbackrest_cipher_pass",
    "metrics_token",
    "grafana_admin_password",
]


def publish(engine, registry: str, commit: str) -> dict[str, str]:
    """scripts/publish_images.sh (what images.yml's job runs; tests/cicd runs that job under act) into the
    local registry: {name: repository@digest}."""
    env = engine.env | {"REGISTRY": registry, "NAMESPACE": "tweetstack-deploy", "VERSION": "v0.0.0-deploy"}
    env |= {"COMMIT": commit, "SBOM": "off"}
    result = run(["bash", str(REPO / "scripts" / "publish_images.sh"), *RELEASED], env=env, timeout=1800)
    return dict(line.split("=", 1) for line in result.stdout.split())


def test_the_deploy_workflow_moves_the_stack_onto_a_pushed_release_by_digest(deployment, registry, tmp_path):
    """deploy.yml's job under act (tests/cicd/act.py) with this engine as the staging host (its local
    socket in place of SSH) and the stack's state: a release's images, pulled by digest from the
    registry, replace the stack's own builds; the data stays, and the checklist run after passes."""
    from tests.cicd.act import act, clone_head

    clone = clone_head(tmp_path / "tweetstack")
    commit = run(["git", "rev-parse", "HEAD"], cwd=clone).stdout.strip()
    release = publish(deployment.engine, registry, commit)
    assert sorted(release) == sorted(RELEASED), release
    before = http(deployment.site + "/explore/").text.count("Live from Terraform")

    settings = deployment.settings(2)
    for name in [*SECRETS, "docker_host", "tls_cert_file", "tls_key_file", "tls_ca_file"]:
        settings.pop(name)
    secrets = {name.upper(): TEST_ENV[name.upper()] for name in SECRETS}
    tls = {"TLS_CERT": deployment.tls.cert, "TLS_KEY": deployment.tls.key, "TLS_CA": deployment.tls.ca_cert}
    secrets |= {name: path.read_text() for name, path in tls.items()}
    variables = {
        "TFVARS": "".join(f"{name} = {json.dumps(value)}\n" for name, value in settings.items()),
        "DOCKER_HOST": deployment.engine.host,
    }
    env = {
        "TF_CLI_CONFIG_FILE": deployment.env["TF_CLI_CONFIG_FILE"],
        "TF_DATA_DIR": str(tmp_path / "data"),
        "TF_STATE": str(deployment.state),
        "CHECKPOINT_DISABLE": "1",
        # The containers this engine can run (module docstring), by Terraform's own variable.
        "TF_CLI_ARGS_apply": " ".join(TARGETS),
    }
    args = [arg for key, value in secrets.items() for arg in ("-s", f"{key}={value}")]
    args += [arg for key, value in variables.items() for arg in ("--var", f"{key}={value}")]
    args += [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
    args += ["--input", "environment=staging", "--input", f"images={json.dumps(release)}"]
    output, seconds = act(
        "workflow_dispatch", "-W", ".github/workflows/deploy.yml", "-j", "deploy", *args,
        env=deployment.engine.env, timeout=2400, cache=tmp_path, cwd=clone,
    )  # fmt: skip
    print(f"act ran deploy.yml's deploy job in {seconds:.0f}s")
    assert "deploy.sh: staging runs the release and its checklist passes" in output, output[-6000:]

    # Each of the three runs the release's image, pulled by its digest (the commit's labels on it), in
    # place of the one the first apply built; the state pulls it and builds it no more.
    addresses = deployment.terraform("state", "list", f"-state={deployment.state}").stdout.split()
    for name, reference in release.items():
        container = f"{PROJECT}-{name}" if name != "web" else f"{PROJECT}-web-0"
        running = json.loads(deployment.engine.docker("inspect", container).stdout)[0]["Image"]
        (pulled,) = json.loads(deployment.engine.docker("image", "inspect", reference).stdout)
        built = json.loads(deployment.engine.docker("image", "inspect", f"{PROJECT}-{name}:terraform").stdout)
        assert running == pulled["Id"] != built[0]["Id"], (name, reference)
        assert pulled["Config"]["Labels"]["org.opencontainers.image.revision"] == commit
        assert (
            f'docker_image.released["{name}"]' in addresses
            and f'docker_image.built["{name}"]' not in addresses
        )
    # The data stayed: the tweets of the first apply are still served, by two replicas.
    assert http(deployment.site + "/explore/").text.count("Live from Terraform") == before >= 1
    web_targets_up(deployment, 2)


def test_destroy_leaves_nothing_it_made(deployment):
    deployment.destroy()
    for kind in ("container", "network", "volume"):
        assert deployment.names(kind) == [], kind
    os.remove(deployment.state)
