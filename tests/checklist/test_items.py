"""Checklist items judged on canned answers of a deployment, and the repository's own configs."""

import pytest

from checklist import configs, configuration, operations, security
from checklist.__main__ import alert_threshold
from checklist.core import FAIL, PASS, WARN, Deployment, HttpResponse

STRICT_CSP = "default-src 'self'; object-src 'none'; frame-ancestors 'none'"


class CannedDeployment(Deployment):
    """A deployment whose pages, Prometheus answers and app probe are given."""

    def __init__(self, url="http://127.0.0.1:8080/", headers=(), status=200, probe=None, series=()):
        super().__init__(url, "http://prometheus.invalid", ["false"])
        self._headers, self._status, self._probe, self._series = list(headers), status, probe or {}, series

    def get(self, path):
        return HttpResponse(self._status, self._headers, b"")

    def query(self, promql):
        return list(self._series)


GOOD_HEADERS = [
    ("Content-Security-Policy", STRICT_CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Set-Cookie", "csrftoken=x; HttpOnly; Path=/; SameSite=Lax"),
]


@pytest.mark.parametrize(
    "check", [configuration.healthchecks, configuration.graceful_timeout, configuration.restart_policy,
              configuration.runbooks, security.containers_non_root],
)  # fmt: skip
def test_the_repository_s_configs_pass(check):
    result = check(None)
    assert result.status == PASS, result.checked


def test_a_terraform_container_without_a_healthcheck_or_a_restart_policy_fails(monkeypatch):
    containers = configs.terraform_containers() | {
        "web": configs.terraform_containers()["web"] | {"restart": "no", "healthcheck": [{"test": ["NONE"]}]}
    }
    monkeypatch.setattr(configs, "terraform_containers", lambda: containers)
    for check in (configuration.healthchecks, configuration.restart_policy):
        result = check(None)
        assert result.status == FAIL and "Terraform web" in result.checked, result.checked


def test_strict_headers_pass_and_an_inline_csp_or_a_duplicate_fails():
    assert security.security_headers(CannedDeployment(headers=GOOD_HEADERS)).status == PASS
    inline = [("Content-Security-Policy", "default-src 'self' 'unsafe-inline'; frame-ancestors 'none'")]
    assert security.security_headers(CannedDeployment(headers=inline + GOOD_HEADERS[1:])).status == FAIL
    twice = [*GOOD_HEADERS, ("X-Frame-Options", "DENY"), ("X-Frame-Options", "DENY")]
    assert security.security_headers(CannedDeployment(headers=twice)).status == FAIL
    assert security.security_headers(CannedDeployment(headers=GOOD_HEADERS[1:])).status == FAIL


def cookie_probe(secure: bool) -> dict:
    flags = {"secure": secure, "httponly": True, "samesite": "Lax"}
    return {"cookies": {"SESSION": flags, "CSRF": flags}}


def test_cookies_without_secure_are_a_warning_on_http_and_a_failure_on_https():
    http = CannedDeployment(headers=GOOD_HEADERS, probe=cookie_probe(False))
    assert security.cookies(http).status == WARN
    https = CannedDeployment("https://example.org/", headers=GOOD_HEADERS, probe=cookie_probe(False))
    assert security.cookies(https).status == FAIL
    secure = [("Set-Cookie", "csrftoken=x; HttpOnly; Secure; SameSite=Lax")]
    assert (
        security.cookies(CannedDeployment("https://example.org/", secure, probe=cookie_probe(True))).status
        == PASS
    )


def test_tls_only_deploy_warnings_are_a_warning_on_http_and_others_fail():
    tls_only = {"deploy_warnings": [["security.W008", "no redirect"], ["security.W012", "cookie"]]}
    assert security.check_deploy(CannedDeployment(probe=tls_only)).status == WARN
    assert security.check_deploy(CannedDeployment("https://example.org/", probe=tls_only)).status == FAIL
    other = {"deploy_warnings": [["security.W004", "no HSTS"]]}
    assert security.check_deploy(CannedDeployment(probe=other)).status == FAIL


def test_backup_age_against_the_alert_s_threshold():
    hours = alert_threshold(
        "backups.yml", r"backup_last_success_timestamp_seconds\{[^}]*\}\) > (\d+) \* 3600"
    )
    assert hours == 26

    def probe(age_hours):
        backup = {"file": "status.json", "now": 100_000.0}
        if age_hours is not None:
            backup["backup_last_success_timestamp_seconds"] = 100_000.0 - age_hours * 3600
        return {"backup": backup}

    assert operations.backup_age(CannedDeployment(probe=probe(1)), hours).status == PASS
    assert operations.backup_age(CannedDeployment(probe=probe(27)), hours).status == FAIL
    assert operations.backup_age(CannedDeployment(probe=probe(None)), hours).status == FAIL


def test_one_replica_or_a_down_replica_fails_scaling():
    def up(*values):
        return [{"metric": {"service_instance": f"web-{i}"}, "value": [0, v]} for i, v in enumerate(values)]

    assert operations.replicas(CannedDeployment(series=up("1", "1"))).status == PASS
    assert operations.replicas(CannedDeployment(series=up("1"))).status == FAIL
    assert operations.replicas(CannedDeployment(series=up("1", "0"))).status == FAIL


def test_queries_that_grow_with_the_tweets_fail():
    constant = {"queries_per_page": {"home": [4, 4], "explore": [3, 3]}}
    growing = {"queries_per_page": {"home": [4, 44], "explore": [3, 3]}}
    assert operations.queries_constant(CannedDeployment(probe=constant)).status == PASS
    assert operations.queries_constant(CannedDeployment(probe=growing)).status == FAIL


def test_pgbackrest_item_reads_every_repository_s_newest_backups_from_its_info():
    now, hour = 10_000_000.0, 3600

    def judged(repositories):
        probe = {"pgbackrest": {"now": now, "repositories": repositories}}
        return operations.pgbackrest_backups(CannedDeployment(probe=probe), 26, 8 * 24).status

    fresh = {"full": now - 3 * 24 * hour, "incr": now - hour}
    assert judged({"1": fresh, "2": fresh}) == PASS
    assert judged({"1": fresh, "2": {"full": now - 9 * 24 * hour, "incr": now - hour}}) == FAIL
    assert judged({"1": {"full": now - 27 * hour}}) == FAIL
    assert judged({"1": fresh, "2": {}}) == FAIL  # the off-host copy has no backup at all
    none = operations.pgbackrest_backups(CannedDeployment(probe={"pgbackrest": None}), 26, 192)
    assert none.status == WARN


def test_wal_archiving_item_fails_when_the_last_attempt_failed_or_archiving_is_off():
    def judged(**status):
        base = {"archive_mode": "on", "archived_count": 5, "failed_count": 0, "now": 1000.0}
        probe = {"wal_archiving": base | status}
        return operations.wal_archiving(CannedDeployment(probe=probe)).status

    assert judged(last_archived=990.0, last_failed=None) == PASS
    assert judged(last_archived=900.0, last_failed=950.0) == FAIL
    assert judged(last_archived=990.0, last_failed=950.0) == PASS  # failed once, archived since
    assert judged(archive_mode="off", last_archived=None, last_failed=None) == FAIL
