"""The Compose deployment, live on a local Docker Engine: the production overlay at WEB_REPLICAS=3 and
the development file, from the very files users run, exercised through the published nginx.

Images: ours (web, backup, nginx, mtail, the collector) are built from the repository's Dockerfiles
by Compose; every image that would be pulled is a local stand-in tagged with the name versions.env
pins (tests/deploy/standins/). Grafana and Loki have no such build here (no Debian package, and
their source is AGPL): they are left out by service selection, and nothing else depends on them.
"""

import contextlib
import http.client as http_client
import json
import os
import signal
import threading
import time
import uuid

import pytest

from config.timeouts import declared
from tests.deploy.conftest import REPO, TEST_ENV, clean_environment, env_file_arguments, install
from tests.deploy.engine import run
from tests.deploy.live import (
    JAEGER_URL,
    PORTS,
    PROMETHEUS_URL,
    Browser,
    http,
    png_bytes,
    tls_files,
    wait_until,
)
from tests.e2e.test_degraded_dependencies import (
    CLIENTS,
    MAX_REQUESTS,
    MEASURE_SECONDS,
    assert_degraded_within_bounds,
)
from tests.e2e.traffic import load
from tests.harness import free_port

# Left out of the live run, and why: see the module docstring.
NOT_BUILDABLE = {"grafana", "loki"}
PROJECT = "tweetstack-test"
FILES = ["docker-compose.yml", "docker-compose.prod.yml"]
# What the backup stage needs offline: Debian 13's PostgreSQL 17 client instead of PGDG's (a build
# argument of the Dockerfile, given on the command line: the Compose files stay as users get them).
OFFLINE_BACKUP_ARGS = {
    "POSTGRES_CLIENT_APT_SOURCE": "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
    "http://deb.debian.org/debian trixie main",
    "POSTGRES_CLIENT_APT_KEY_URL": "",
}


class ComposeDeployment:
    def __init__(self, engine, files: list[str], env: dict, folder, project: str = PROJECT):
        self.engine = engine
        self.project = project
        self.files = files
        self.env_file = folder / "test.env"
        self.env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
        self.values = env

    def compose(self, *args, check=True, timeout=1800, builder=False):
        """Docker Compose v5 (the pinned build of tests/deploy/compose/go.mod, which the config tests
        load the files with) runs the deployment; it builds only through buildx >= 0.17, which
        Debian 13 lacks, so images are built by Debian 13's Compose 2.26 plugin (builder=True).
        Compose 2.26 cannot run it: `up --wait` fails on a one-shot job such as migrate."""
        result = run([*self.command(builder), *args], env=self.environment(), check=False, timeout=timeout)
        if check and result.returncode != 0:
            pytest.fail(
                f"docker compose {' '.join(map(str, args))} exited {result.returncode}:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def compose_command(self) -> list[str]:
        """The command that runs this deployment, for scripts that take it as COMPOSE."""
        return self.command()

    def command(self, builder=False) -> list[str]:
        binary = [self.engine.docker_bin, "compose"] if builder else [install("docker-compose")]
        command = [*binary, "-p", self.project, "--project-directory", REPO]
        command += env_file_arguments(self.env_file)
        for name in self.files:
            command += ["-f", REPO / name]
        return [str(word) for word in command]

    def environment(self) -> dict:
        # Only the env files set what Compose interpolates (a variable of the caller's would win).
        return clean_environment() | {
            key: self.engine.env[key] for key in ("DOCKER_HOST", "DOCKER_CONFIG", "PATH")
        }

    def services(self) -> list[str]:
        names = self.compose("config", "--services").stdout.split()
        return [name for name in names if name not in NOT_BUILDABLE]

    def model(self) -> dict:
        return json.loads(self.compose("config", "--format", "json").stdout)

    def build(self):
        model = self.model()["services"]
        built = [name for name in self.services() if "build" in model[name] and name != "backup"]
        self.compose("build", *built, builder=True)
        if "backup" in model:
            args = [f"{k}={v}" for k, v in OFFLINE_BACKUP_ARGS.items()]
            self.compose("build", *(a for arg in args for a in ("--build-arg", arg)), "backup", builder=True)

    def up(self, *services):
        return self.compose("up", "-d", "--wait", "--remove-orphans", *(services or self.services()))

    def containers(self, service: str | None = None) -> list[dict]:
        lines = self.compose("ps", "-a", "--format", "json", *([service] if service else [])).stdout
        return [json.loads(line) for line in lines.splitlines() if line.strip()]

    @property
    def site(self) -> str:
        return f"https://{self.values['NGINX_HTTPS_PUBLISH']}"

    def fetch_inside(self, url: str, headers: dict | None = None) -> tuple[int, str]:
        """GET url from inside a web container (Prometheus and Jaeger live on the internal network)."""
        web = self.containers("web")[0]["Name"]
        code = (
            "import json, sys, urllib.request, urllib.error\n"
            "request = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[2]))\n"
            "try:\n"
            "    response = urllib.request.urlopen(request, timeout=10)\n"
            "    print(response.status); print(response.read().decode())\n"
            "except urllib.error.HTTPError as error:\n"
            "    print(error.code); print(error.read().decode())\n"
        )
        result = self.engine.docker("exec", web, "python", "-c", code, url, json.dumps(headers or {}))
        status, _, body = result.stdout.partition("\n")
        return int(status), body

    def prometheus(self, query: str) -> list[dict]:
        status, body = self.fetch_inside(f"{PROMETHEUS_URL}/api/v1/query?query={_quote(query)}")
        assert status == 200, body
        return json.loads(body)["data"]["result"]

    def logs(self, service: str) -> str:
        result = self.compose("logs", "--no-color", "--no-log-prefix", service)
        return result.stdout + result.stderr


def _quote(text: str) -> str:
    import urllib.parse

    return urllib.parse.quote(text, safe="")


def json_lines(text: str) -> list[dict]:
    entries = []
    for line in text.splitlines():
        # Compose may put a terminal control sequence before a line, even with --no-log-prefix.
        start = line.find("{")
        if start >= 0:
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line[start:]))
    return entries


@pytest.fixture(scope="module")
def prod(engine, local_images, tmp_path_factory):
    port, https_port = free_port(), free_port()
    certificate = tls_files(tmp_path_factory.mktemp("compose-tls"))
    env = TEST_ENV | {
        "NGINX_PUBLISH": f"127.0.0.1:{port}",
        "NGINX_HTTPS_PUBLISH": f"127.0.0.1:{https_port}",
        "NGINX_HTTPS_PUBLIC_PORT": str(https_port),
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{https_port}",
        "TLS_CERT_FILE": str(certificate.cert),
        "TLS_KEY_FILE": str(certificate.key),
        "TLS_SERVER_NAME": "localhost",
        "TLS_CA_FILE": str(certificate.ca_cert),
        "WEB_REPLICAS": "3",
    }
    deployment = ComposeDeployment(engine, FILES, env, tmp_path_factory.mktemp("compose-prod"))
    deployment.compose("down", "-v", "--remove-orphans", check=False)
    deployment.build()
    try:
        deployment.up()
        yield deployment
    finally:
        artifacts = REPO / "test-artifacts" / "compose-prod-logs"
        artifacts.mkdir(parents=True, exist_ok=True)
        (artifacts / "all.log").write_text(deployment.compose("logs", "--no-color", check=False).stdout)
        deployment.compose("down", "-v", "--remove-orphans", "--timeout", "10", check=False)


@pytest.fixture(scope="module")
def posted(prod):
    """One user's tweet with an image, posted through nginx, with the request's id and trace id."""
    browser = Browser(prod.site)
    username = browser.sign_up()
    text = f"Live from Compose {uuid.uuid4().hex[:8]}"
    request_id = f"compose-{uuid.uuid4().hex}"
    response = browser.post_tweet(text, png_bytes(), headers={"X-Request-ID": request_id})
    assert response.status == 302, (response.status, response.text[:3000])
    return {"browser": browser, "username": username, "text": text, "request_id": request_id}


def test_every_selected_service_is_running_and_healthy(prod):
    states = {c["Name"]: (c["Service"], c["State"], c.get("Health", "")) for c in prod.containers()}
    web = [name for name, (service, *_) in states.items() if service == "web"]
    assert len(web) == 3, states
    for name, (service, state, health) in states.items():
        if service == "migrate":
            assert state == "exited", (name, state)
            continue
        assert state == "running", (name, state)
        assert health in ("healthy", ""), (name, health)


def test_a_visitor_signs_up_posts_an_image_and_sees_it_on_explore_served_by_nginx(prod, posted):
    explore = http(prod.site + "/explore/")
    assert explore.status == 200
    assert posted["text"] in explore.text
    images = [part.split('"', 1)[0] for part in explore.text.split('src="/media/')[1:]]
    assert images, "no image on Explore"
    picture = http(prod.site + "/media/" + images[0])
    assert picture.status == 200
    assert picture.headers["Content-Type"].startswith("image/")
    # nginx served it from the media volume (the app does not serve media in production).
    assert "X-Request-ID" not in picture.headers or "Server" in picture.headers


def test_every_image_mounting_the_media_volume_gives_its_folder_to_the_app_user(prod):
    # An empty volume takes the owner of the mount point of the first container that mounts it: a
    # root-owned folder in the nginx image made every upload of a fresh deployment a 500.
    model = prod.model()["services"]
    for name, service in model.items():
        for volume in service.get("volumes", []):
            if volume.get("source") == "media":
                stat = prod.engine.docker(
                    "run", "--rm", "--entrypoint", "stat", service["image"], "-c", "%u", volume["target"]
                )
                assert stat.stdout.strip() == "10001", (name, volume["target"], stat.stdout)


def test_plain_http_redirects_to_https_and_the_certificate_expiry_is_a_metric(prod):
    plain = f"http://{prod.values['NGINX_PUBLISH']}"
    # urllib follows the redirect to the HTTPS listener and verifies it against the test's CA.
    explore = http(plain + "/explore/")
    assert explore.status == 200
    assert explore.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert http(plain + "/healthz").status == 200
    probed = f"https://nginx:{PORTS['NGINX_HTTPS_PORT']}/healthz"
    wait_until(
        lambda: prod.prometheus(f'probe_ssl_earliest_cert_expiry{{job="tls", instance="{probed}"}}'),
        120,
        "Prometheus has no certificate expiry from the blackbox exporter",
        interval=3,
    )


def test_head_requests_of_the_timelines_answer_200(prod):
    assert http(prod.site + "/explore/", method="HEAD").status == 200
    assert http(prod.site + "/", method="HEAD").status in (200, 302)


def test_metrics_are_not_reachable_through_nginx(prod):
    assert http(prod.site + "/metrics").status == 404
    token = TEST_ENV["METRICS_TOKEN"]
    assert http(prod.site + "/metrics", headers={"Authorization": f"Bearer {token}"}).status == 404


def test_prometheus_scrapes_three_web_replicas_and_the_apps_series(prod, posted):
    def three_up():
        up = prod.prometheus('up{job="web"}')
        return len(up) == 3 and all(sample["value"][1] == "1" for sample in up) and up

    wait_until(three_up, 120, "Prometheus does not see three web targets up")

    # The series exists from the first scrape; the post is counted from the scrape after it.
    def counted():
        result = prod.prometheus("sum(tweetstack_tweets_posted_total)")
        return result and float(result[0]["value"][1]) >= 1

    wait_until(counted, 90, "the posted tweet is not in tweetstack_tweets_posted_total", interval=3)


def test_the_posts_trace_is_in_jaeger_and_its_id_in_the_web_json_log(prod, posted):
    def logged():
        for service_log in (prod.logs("web"),):
            for entry in json_lines(service_log):
                if (
                    entry.get("request_id") == posted["request_id"]
                    and entry.get("event") == "request_finished"
                ):
                    return entry
        return None

    entry = wait_until(logged, 60, "the POST's request_finished line is not in web's log")
    trace_id = entry["trace_id"]
    assert len(trace_id) == 32

    def in_jaeger():
        status, body = prod.fetch_inside(f"{JAEGER_URL}/api/traces/{trace_id}")
        return status == 200 and json.loads(body)["data"] and json.loads(body)["data"][0]

    trace = wait_until(in_jaeger, 60, f"trace {trace_id} is not in Jaeger")
    services = {process["serviceName"] for process in trace["processes"].values()}
    assert "tweetstack-web" in services


def test_the_web_replicas_start_without_errors(prod):
    errors = [e for e in json_lines(prod.logs("web")) if e.get("level") in ("error", "critical")]
    assert errors == [], errors[:5]


def test_the_alert_sink_received_the_watchdog(prod):
    def watchdog():
        return [e for e in json_lines(prod.logs("alert-sink")) if "Watchdog" in json.dumps(e)]

    wait_until(watchdog, 180, "the alert sink has not received the Watchdog", interval=3)


def test_an_exemplar_of_the_latency_histogram_links_to_a_trace_in_jaeger(prod, posted):
    browser = posted["browser"]
    for _ in range(20):
        assert browser.get("/explore/").status == 200

    def exemplars():
        end = time.time()
        query = _quote("django_http_requests_latency_seconds_by_view_method_bucket")
        status, body = prod.fetch_inside(
            f"{PROMETHEUS_URL}/api/v1/query_exemplars?query={query}&start={end - 600}&end={end}"
        )
        assert status == 200, body
        found = [x["labels"]["trace_id"] for s in json.loads(body)["data"] for x in s["exemplars"]]
        return found

    trace_ids = wait_until(exemplars, 120, "Prometheus stored no exemplar", interval=3)

    def one_in_jaeger():
        for trace_id in reversed(trace_ids):
            status, body = prod.fetch_inside(f"{JAEGER_URL}/api/traces/{trace_id}")
            if status == 200 and json.loads(body)["data"]:
                return trace_id
        return None

    wait_until(one_in_jaeger, 60, f"none of the exemplars' traces {trace_ids[-5:]} is in Jaeger")


def test_the_backup_service_wrote_a_backup(prod):
    backup = prod.containers("backup")[0]["Name"]

    def written():
        result = prod.engine.docker("exec", backup, "sh", "-c", "ls /backups; cat /srv/status/backup.json")
        return "tweetstack-" in result.stdout and "backup_last_success_timestamp_seconds" in result.stdout

    wait_until(written, 120, "no backup in the backups volume", interval=3)


def sql(prod, query: str) -> str:
    """One value from the deployment's database, asked in the postgres container over its socket."""
    command = f'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -tAc "{query}"'
    return prod.compose("exec", "-T", "postgres", "sh", "-c", command).stdout.strip()


def test_point_in_time_recovery_gives_back_exactly_the_tweets_posted_before_the_moment(prod):
    """make compose-restore TIME=... (scripts/compose-restore.sh), as the operator runs it after a
    bad write: the tweets acknowledged before the moment are back, none acknowledged after it."""

    def pgbackrest_backup_taken():
        status = prod.compose("exec", "-T", "backup", "cat", "/srv/status/backup.json", check=False).stdout
        return "pgbackrest_last_backups" in status and '"full"' in status

    wait_until(pgbackrest_backup_taken, 180, "the backup job made no pgBackRest full backup", interval=3)
    browser = Browser(prod.site)
    browser.sign_up()
    run_id = uuid.uuid4().hex[:8]
    before = [f"pitr {run_id} before {i}" for i in range(3)]
    after = [f"pitr {run_id} after {i}" for i in range(3)]
    for text in before:
        assert browser.post_tweet(text).status == 302
    # The moment, on the server's clock, strictly between the two sets' commits.
    time.sleep(1)
    moment = sql(prod, "SELECT now()")
    time.sleep(1)
    for text in after:
        assert browser.post_tweet(text).status == 302
    assert sql(prod, f"SELECT count(*) FROM tweets_tweet WHERE text LIKE 'pitr {run_id} %'") == "6"

    started = time.monotonic()
    command = " ".join(prod.compose_command())
    result = run(
        [str(REPO / "scripts" / "compose-restore.sh"), moment],
        env=prod.environment() | {"COMPOSE": command},
        check=False,
        timeout=600,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"compose point-in-time restore: {took:.1f} s, serving again")

    rows = sql(prod, f"SELECT text FROM tweets_tweet WHERE text LIKE 'pitr {run_id} %' ORDER BY text")
    assert rows.splitlines() == sorted(before)
    # What a visitor sees: the site serves again, with the first set and without the second.
    explore = wait_until(lambda: (r := http(prod.site + "/explore/")).status == 200 and r, 120, "no Explore")
    assert all(text in explore.text for text in before)
    assert not any(text in explore.text for text in after)
    # The restored server takes writes again (Redis was emptied with the timelines: a new session).
    again = Browser(prod.site)
    again.sign_up()
    assert again.post_tweet(f"pitr {run_id} posted after the restore").status == 302
    assert sql(prod, f"SELECT count(*) FROM tweets_tweet WHERE text LIKE 'pitr {run_id} %'") == "4"


# What only holds behind TLS (HSTS, Secure cookies, check --deploy's SSL items): nginx terminates
# TLS here, so these pass like every other item.
TLS_ITEMS = {"security.check_deploy", "security.hsts", "security.cookies"}
# What the checklist rightly finds missing here: its container has no pgBackRest to ask for `info`
# (the backup job, which has, exports it on /metrics through the status file).
NOT_YET_IN_COMPOSE = {"backup.pgbackrest"}


def test_the_checklist_service_passes_every_item_tls_ones_too_and_exports_its_results(prod, posted):
    # The scheduled run's results reach the replicas' /metrics, so Prometheus has them.
    exported = wait_until(
        lambda: prod.prometheus("tweetstack_checklist_item_status"), 120, "no checklist results exported"
    )
    assert {sample["metric"]["item"] for sample in exported} >= TLS_ITEMS
    # The restore drill runs as the operator's schedule would (the checklist checks its age), then the
    # checklist as `make checklist` would, in the service's container, against the deployment.
    prod.compose("exec", "-T", "backup", "python", "/app/app/manage.py", "restore_drill")
    # Enough timeline reads for the cache item to judge (its alert's rate), as a site in use has.
    for _ in range(120):
        http(prod.site + "/explore/")
    wait_until(
        lambda: prod.prometheus("job:tweetstack_timeline_cache_requests:rate10m > 0.1"),
        120,
        "Prometheus does not see the timeline reads yet",
    )
    command = prod.model()["services"]["checklist"]["command"]
    once = [word for word in command if word != "--every"] + ["--json", "--no-record"]
    result = prod.compose("exec", "-T", "checklist", *once, check=False)
    rows = json.loads(result.stdout)["items"]
    not_passed = {row["item"]: (row["status"], row["checked"]) for row in rows if row["status"] != "PASS"}
    unexpected = [
        f"{item} {status}: {checked}"
        for item, (status, checked) in not_passed.items()
        if item not in NOT_YET_IN_COMPOSE
    ]
    assert unexpected == [], "\n".join(unexpected)
    assert not TLS_ITEMS & set(not_passed), not_passed
    assert {row["item"] for row in rows} >= NOT_YET_IN_COMPOSE


def breakers_closed(prod, dependency: str) -> bool:
    """Every replica's breaker for the dependency closed, as Prometheus scraped it (a breaker leaves
    the open state only when a call probes the dependency: a few requests go first)."""
    for _ in range(4):
        http(prod.site + "/explore/")
    states = prod.prometheus(f'tweetstack_circuit_breaker_state{{dependency="{dependency}"}}')
    return bool(states) and all(sample["value"][1] == "0" for sample in states)


def test_redis_paused_opens_the_breakers_and_pages_keep_the_redis_stopped_speed(prod):
    """`docker pause`: Redis' connections hang, as an overloaded or partitioned Redis does."""
    prod.compose("stop", "redis")
    try:
        load(prod.site, clients=CLIENTS, seconds=3, max_requests=MAX_REQUESTS)
        stopped = load(prod.site, clients=CLIENTS, seconds=MEASURE_SECONDS, max_requests=MAX_REQUESTS)
    finally:
        prod.compose("start", "redis")
    wait_until(lambda: breakers_closed(prod, "redis"), 90, "a Redis breaker did not close after the restart")
    (redis,) = prod.containers("redis")
    prod.engine.docker("pause", redis["Name"])
    try:
        opening = load(prod.site, clients=CLIENTS, seconds=3, max_requests=MAX_REQUESTS)
        paused = load(prod.site, clients=CLIENTS, seconds=MEASURE_SECONDS, max_requests=MAX_REQUESTS)
        print(f"Compose, Redis paused, first 3 s: {opening.summary()}")
    finally:
        prod.engine.docker("unpause", redis["Name"])
    resumed = time.monotonic()
    # Scraped every 15 s: closed within a minute of resuming, as Prometheus can see it.
    wait_until(lambda: breakers_closed(prod, "redis"), 90, "a Redis breaker did not close after unpausing")
    print(f"Compose, Redis resumed: breakers closed {time.monotonic() - resumed:.1f}s later (scraped)")
    assert opening.server_errors == [], opening.statuses[:10]
    assert_degraded_within_bounds("Compose, Redis paused, breakers open", paused, stopped)


def test_postgres_partitioned_gets_a_fast_503_with_retry_after_and_recovers_by_itself(prod, posted):
    """PostgreSQL taken off the back network: its connections stall (neither refused nor reset), as in
    a partition. (`docker pause` is not that fault for PostgreSQL: the kernel keeps acknowledging
    what the app sends to the frozen server, so only gunicorn's timeout would end the wait.)"""
    timeouts = declared()
    replica_bound = timeouts["DB_TCP_USER_TIMEOUT"] + timeouts["DB_CONNECT_TIMEOUT"] + 1.0
    # nginx may try a GET on a second replica, which waits as long, before it answers the 503.
    bound = 2 * replica_bound
    browser = posted["browser"]
    (postgres,) = prod.containers("postgres")
    network = prod.model()["networks"]["back"]["name"]
    prod.engine.docker("network", "disconnect", network, postgres["Name"])
    try:
        time.sleep(2)
        pages = []
        for _ in range(3):
            started = time.monotonic()
            page = browser.get("/")
            pages.append((time.monotonic() - started, page))
        readiness = prod.fetch_inside(f"http://127.0.0.1:{PORTS['WEB_PORT']}/readyz")
    finally:
        prod.engine.docker("network", "connect", "--alias", "postgres", network, postgres["Name"])
    healed = time.monotonic()
    home = wait_until(
        lambda: (page := browser.get("/")).status == 200 and page, 60, "home not back after healing"
    )
    # Recovered means every replica's workers, not the first to answer: each drops its stalled
    # connection on its own first query (a full run's next test met their 503s).
    serving_steadily(prod)
    print(
        f"Compose, PostgreSQL partitioned: home {[f'{p.status}:{t:.2f}s' for t, p in pages]}, "
        f"readiness {readiness[0]}, home again {time.monotonic() - healed:.1f}s after healing"
    )
    for elapsed, page in pages:
        assert page.status == 503 and elapsed < bound, (page.status, elapsed, bound)
        assert page.headers.get("Retry-After", "").isdigit(), page.headers
        assert "temporarily unavailable" in page.text.lower(), page.text[:300]
    assert readiness[0] == 503, readiness
    # The tweet acknowledged before the fault is still there.
    assert posted["text"] in home.text


def serving_steadily(stack, in_a_row: int = 30, timeout: float = 90):
    """Wait until nginx answers in_a_row GETs of Explore in a row with 200, which its round robin
    spreads over every replica's workers."""
    streak = [0]

    def steady():
        try:
            served = http(stack.site + "/explore/").status == 200
        except (OSError, http_client.HTTPException):
            served = False
        streak[0] = streak[0] + 1 if served else 0
        return streak[0] >= in_a_row

    wait_until(steady, timeout, f"Explore is not served {in_a_row} times in a row", interval=0.1)


def test_a_killed_web_replica_under_load_loses_no_get_and_comes_back(prod):
    # From a stack that serves every GET: what fails below is the kill's doing.
    serving_steadily(prod)
    failures, done = [], threading.Event()
    served = [0]

    def read():
        while not done.is_set():
            # A response cut off mid-body (the replica died while sending it) is a failed GET too.
            try:
                status = http(prod.site + "/explore/").status
            except (OSError, http_client.HTTPException) as error:
                status = repr(error)
            if status != 200:
                failures.append(status)
            served[0] += 1

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    victim = prod.containers("web")[0]
    time.sleep(2)
    # A crash, not `docker kill`: the engine marks a killed container as stopped by hand, and restart
    # policies leave those alone. SIGKILL to its main process from the host is what a crash looks like.
    pid = int(prod.engine.docker("inspect", "--format", "{{.State.Pid}}", victim["Name"]).stdout)
    started = json.loads(prod.engine.docker("inspect", victim["Name"]).stdout)[0]["State"]["StartedAt"]
    os.kill(pid, signal.SIGKILL)
    try:

        def restarted():
            state = json.loads(prod.engine.docker("inspect", victim["Name"]).stdout)[0]["State"]
            restarted = state["StartedAt"] != started
            return restarted and state["Running"] and state.get("Health", {}).get("Status") == "healthy"

        wait_until(restarted, 120, "the killed replica was not restarted to healthy")
    finally:
        time.sleep(2)
        done.set()
        for reader in readers:
            reader.join()
    # nginx retries on another replica every GET the dead one had not started answering, so none may
    # fail. What was in flight on the replica when it died cannot be retried in time: a response it was
    # sending is cut off (its headers are gone to the client), and a request it had taken gets no
    # answer at all (its network namespace went with it, so no reset comes back) until nginx's read
    # timeout, past the reader's. So at most one per reader fails, and only in those two ways.
    cut_off = [
        failure for failure in failures if "IncompleteRead" in str(failure) or "timed out" in str(failure)
    ]
    assert [failure for failure in failures if failure not in cut_off] == [], (
        f"{len(failures)} failed GETs of {served[0]}: {failures[:10]}"
    )
    assert len(cut_off) <= len(readers), f"{len(cut_off)} responses cut off: {cut_off[:10]}"
    assert served[0] > 20

    def three_up_again():
        up = prod.prometheus('up{job="web"}')
        return len(up) == 3 and all(sample["value"][1] == "1" for sample in up)

    wait_until(three_up_again, 120, "the restarted replica is not back in Prometheus")

    # And back in nginx's rotation: requests through nginx reach the restarted container again.
    def nginx_sends_it_requests():
        marker = f"rejoin-{uuid.uuid4().hex}"
        for index in range(12):
            http(prod.site + "/explore/", headers={"X-Request-ID": f"{marker}-{index}"})
        since = prod.engine.docker("logs", "--since", started, victim["Name"])
        return marker in since.stdout + since.stderr

    wait_until(nginx_sends_it_requests, 60, "nginx sends no request to the restarted replica")


def test_tweets_and_media_survive_down_and_up(prod, posted):
    prod.compose("down", "--timeout", "20")
    prod.up()
    explore = http(prod.site + "/explore/")
    assert explore.status == 200 and posted["text"] in explore.text
    image = explore.text.split('src="/media/')[1].split('"', 1)[0]
    assert http(prod.site + "/media/" + image).status == 200
