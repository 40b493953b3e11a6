"""Redis stopped and PostgreSQL restarted under load: what keeps working, what the alerts say,
and that no acknowledged write is lost."""

import time
from datetime import UTC, datetime

import psycopg

from tests.e2e.conftest import REPLICAS, wait_until
from tests.e2e.traffic import Browser, Traffic, create_users, replicas_back_in_rotation


def logged_in(stack, users) -> list[Browser]:
    browsers = []
    for name, password in users:
        browser = Browser(stack.site)
        assert browser.login(name, password) == 302
        browsers.append(browser)
    return browsers


def database_texts(stack, texts: list[str]) -> set[str]:
    url = f"postgres://app@127.0.0.1:{stack.ports['postgres']}/tweetstack"
    with psycopg.connect(url, connect_timeout=5) as connection:
        rows = connection.execute("SELECT text FROM tweets_tweet WHERE text = ANY(%s)", [texts]).fetchall()
    return {text for (text,) in rows}


def postgres_accepts(stack) -> bool:
    try:
        database_texts(stack, [])
        return True
    except psycopg.Error:
        return False


def enough_traffic(traffic) -> bool:
    return traffic.count("read") >= 50 and traffic.count("post") >= 10 and traffic.count("login") >= 5


def test_with_redis_stopped_reads_posts_and_logins_work_and_redis_down_reaches_the_sink(stack):
    users = create_users(stack, 3)
    posters = logged_in(stack, users[:2])
    stopped_at = datetime.now(UTC).replace(microsecond=0)
    stack.supervisorctl("stop", "redis")
    try:
        with Traffic(
            stack.site,
            readers=2,
            posters=posters,
            post_every=1.2,
            logins=users,
            max_requests=800,
            max_seconds=60,
        ) as traffic:
            # Logins are Argon2 hashes, one every 3 s plus their own time: on busy cores 20 s gave
            # only 4, so the traffic runs until every kind reached its count (about 20 s when quiet).
            wait_until(lambda: enough_traffic(traffic), 60, "too little traffic while Redis was down", 1)
        # RedisDown: `for: 30s`, rules evaluated every 15 s, then Alertmanager's group_wait.
        alert = wait_until(
            lambda: stack.alerts_received("RedisDown", stopped_at), 150, "RedisDown never arrived", 1
        )[0]
    finally:
        stack.supervisorctl("start", "redis")
        replicas_back_in_rotation(stack, REPLICAS)

    assert enough_traffic(traffic)
    failed = traffic.failures()
    assert failed == [], f"{len(failed)} of {len(traffic.outcomes)} requests failed: {failed[:5]}"
    posted = [o.text for o in traffic.outcomes if o.kind == "post"]
    assert database_texts(stack, posted) == set(posted)
    assert alert["status"] == "firing" and alert["labels"]["severity"] == "critical"


def test_postgres_restart_errs_only_while_down_and_keeps_every_acknowledged_tweet(stack):
    replicas = [f"web-{index}" for index in range(REPLICAS)]
    pids = {name: stack.program_pid(name) for name in replicas}
    posters = logged_in(stack, create_users(stack, 3))
    try:
        with Traffic(
            stack.site, readers=2, posters=posters, post_every=0.8, max_requests=1500, max_seconds=60
        ) as traffic:
            time.sleep(3)
            down_from = time.monotonic()
            # SIGINT, PostgreSQL's fast shutdown: sessions are cut, then it starts again.
            stack.supervisorctl("restart", "postgres")
            wait_until(lambda: postgres_accepts(stack), 60, "PostgreSQL did not come back")
            back_at = time.monotonic()
            time.sleep(10)
    finally:
        replicas_back_in_rotation(stack, REPLICAS)

    assert traffic.count("read") >= 50 and traffic.count("post") >= 10
    # A request may fail only if it overlapped the restart (plus a second for the replicas to see it).
    outside = [o for o in traffic.failures() if o.ended < down_from or o.started > back_at + 1]
    assert outside == [], f"requests failed while PostgreSQL was up: {outside[:5]}"
    after = [o for o in traffic.outcomes if o.started > back_at + 1]
    assert len(after) >= 20 and all(o.ok for o in after)
    assert {name: stack.program_pid(name) for name in replicas} == pids, "a replica was restarted"
    during = len(traffic.failures())
    print(f"PostgreSQL down {back_at - down_from:.1f}s: {during} of {len(traffic.outcomes)} requests failed")
    acknowledged = [o.text for o in traffic.outcomes if o.kind == "post" and o.ok]
    assert acknowledged, "no tweet was posted"
    missing = set(acknowledged) - database_texts(stack, acknowledged)
    assert not missing, f"{len(missing)} acknowledged tweets are not in the database: {sorted(missing)[:3]}"
