"""Redis behind its circuit breaker: a Redis that stops answering is given up after a few timeouts,
then not called at all until the cool-down ends; the state is a metric and each change one log line."""

import socket
import time

import pytest
from prometheus_client import REGISTRY

from config import breakers
from config.cache import BreakerRedisCache

FAIL_MAX = 3
REDIS_TIMEOUT = 0.2


@pytest.fixture
def fresh_breakers(settings):
    """Breakers are per process; each test starts with none (tests/conftest.py) and a short cool-down."""
    settings.TIMEOUTS = settings.TIMEOUTS | {"BREAKER_FAIL_MAX": FAIL_MAX, "BREAKER_RESET_TIMEOUT": 0.5}
    breakers.forget_all()


@pytest.fixture
def long_cool_down(fresh_breakers, settings):
    """For tests of an open breaker: no cool-down ends (and no probe half-opens it) while they look,
    however slow a busy machine makes the calls before."""
    settings.TIMEOUTS = settings.TIMEOUTS | {"BREAKER_RESET_TIMEOUT": 60}


@pytest.fixture
def silent_redis():
    """A port that accepts connections (the kernel's backlog) and never answers: a paused Redis."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def cache_for(url: str) -> BreakerRedisCache:
    options = {
        "IGNORE_EXCEPTIONS": True,
        "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT,
        "SOCKET_TIMEOUT": REDIS_TIMEOUT,
    }
    return BreakerRedisCache(url, {"OPTIONS": options})


def timed(call) -> tuple[float, object]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


def state() -> float:
    return REGISTRY.get_sample_value("tweetstack_circuit_breaker_state", {"dependency": "redis"})


def transitions(caplog) -> list[dict]:
    return [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") == "circuit_breaker_state_change"
    ]


def test_a_silent_redis_opens_the_breaker_after_a_few_timeouts_then_costs_nothing(
    long_cool_down, silent_redis, caplog
):
    cache = cache_for(silent_redis)
    failing = [timed(lambda: cache.get("timeline:1")) for _ in range(FAIL_MAX)]
    assert all(result is None and elapsed >= REDIS_TIMEOUT * 0.9 for elapsed, result in failing)
    assert state() == 2

    open_calls = [timed(lambda: cache.get("timeline:1")) for _ in range(50)]
    assert all(result is None for _, result in open_calls)
    # Fifty calls together cost less than half of one call that reaches the silent Redis (a bound
    # with room for the scheduler of a busy machine, which a per-call 10 ms bound did not have).
    assert sum(elapsed for elapsed, _ in open_calls) < REDIS_TIMEOUT / 2
    [opened] = transitions(caplog)
    assert opened["new_state"] == "open" and "Timeout" in opened["last_failure"]


def test_writes_and_counters_fail_open_while_the_breaker_is_open(long_cool_down, silent_redis):
    cache = cache_for(silent_redis)
    for _ in range(FAIL_MAX):
        cache.get("key")
    elapsed, _ = timed(lambda: (cache.set("key", 1), cache.add("counter", 1), cache.incr("counter")))
    assert elapsed < REDIS_TIMEOUT / 2  # none of the three waited for Redis


def test_after_the_cool_down_one_probe_closes_the_breaker_when_redis_answers(
    fresh_breakers, settings, caplog
):
    cache = cache_for(settings.REDIS_URL)
    breakers.breaker("redis").open()
    assert cache.get("missing") is None and state() == 2
    time.sleep(0.55)  # past the cool-down (0.5 s), before the breaker's own probe (0.75 s)
    cache.set("present", "yes")
    assert cache.get("present") == "yes"
    assert state() == 0
    assert [t["new_state"] for t in transitions(caplog)] == ["open", "half-open", "closed"]


def database_at(url: str):
    from django.db import connections

    from config.postgresql.base import DatabaseWrapper

    settings_dict = connections["default"].settings_dict | {
        "HOST": "127.0.0.1",
        "PORT": url.rsplit(":", 1)[1].split("/")[0],
    }
    return DatabaseWrapper(settings_dict, alias="stalled")


@pytest.mark.django_db
def test_a_stalled_database_costs_one_connect_timeout_then_fails_at_once(
    fresh_breakers, silent_redis, settings
):
    from django.db import OperationalError

    database = database_at(silent_redis)  # the silent port stands in for a stalled PostgreSQL too
    first = time.monotonic()
    with pytest.raises(OperationalError):
        database.ensure_connection()
    first = time.monotonic() - first
    again = time.monotonic()
    with pytest.raises(OperationalError, match="not tried"):
        database.ensure_connection()
    again = time.monotonic() - again
    assert (
        settings.TIMEOUTS["DB_CONNECT_TIMEOUT"] * 0.9 <= first < settings.TIMEOUTS["DB_CONNECT_TIMEOUT"] + 1
    )
    assert again < settings.TIMEOUTS["DB_CONNECT_TIMEOUT"] / 2
    assert REGISTRY.get_sample_value("tweetstack_circuit_breaker_state", {"dependency": "postgres"}) == 2


@pytest.mark.django_db
def test_a_refused_database_connection_does_not_open_the_breaker(fresh_breakers):
    from django.db import OperationalError

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    database = database_at(f"postgres://127.0.0.1:{port}/x")
    for _ in range(3):
        with pytest.raises(OperationalError, match="refused"):
            database.ensure_connection()
    assert breakers.breaker("postgres").current_state == "closed"


def test_while_one_call_probes_a_half_open_breaker_the_others_fail_at_once(fresh_breakers, silent_redis):
    import threading

    cache = cache_for(silent_redis)
    for _ in range(FAIL_MAX):
        cache.get("key")
    time.sleep(0.6)  # the cool-down passes: the next call probes
    prober = threading.Thread(target=cache.get, args=("key",))
    prober.start()
    time.sleep(0.05)
    elapsed, result = timed(lambda: cache.get("key"))
    prober.join()
    # Waiting for the probe would take the rest of its timeout (0.15 s here).
    assert result is None and elapsed < REDIS_TIMEOUT / 2
    assert state() == 2  # the probe timed out: open again


def test_closing_the_cache_after_a_request_neither_resets_nor_closes_the_breaker(
    fresh_breakers, silent_redis
):
    cache = cache_for(silent_redis)
    for _ in range(FAIL_MAX - 1):
        cache.get("key")
        cache.close()  # what Django does at the end of every request
    cache.get("key")
    assert state() == 2, "failures separated by close() are still consecutive"
    time.sleep(0.6)
    cache.close()
    assert breakers.breaker("redis").current_state == "open"


def test_an_open_breaker_probes_by_itself_and_closes_without_traffic(fresh_breakers, settings):
    cache = cache_for(settings.REDIS_URL)
    assert cache.get("missing") is None  # creates the breaker with the cache as its probe
    breakers.breaker("redis").open()
    assert state() == 2
    time.sleep(1.2)  # the breaker's own probe runs at 1.5 cool-downs (0.75 s), with no call of ours
    assert state() == 0
