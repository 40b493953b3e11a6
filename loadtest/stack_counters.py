"""Counters of the running native stack, read before and after a measurement: Redis commands
processed (Redis' own INFO, so every client counts, the exporter's few scrapes included), SQL
statements executed (pg_stat_statements' calls, which the native stack's PostgreSQL preloads; the
exporter's scrapes count too) and the replicas' timeline look-ups served from the Redis sets or not
(their /metrics, the app's tweetstack_timeline_cache_requests_total; none with METRICS_ENABLED=false)."""

import urllib.error
import urllib.request
from dataclasses import dataclass

import psycopg
import redis
from prometheus_client.parser import text_string_to_metric_families

from stack.layout import Stack

TIMELINE_LOOKUPS = "tweetstack_timeline_cache_requests_total"


@dataclass(frozen=True)
class Snapshot:
    redis_commands: int
    sql_statements: int
    timeline_hits: float
    timeline_misses: float


@dataclass(frozen=True)
class Difference:
    redis_commands_per_request: float
    sql_statements_per_request: float
    # None when the measurement read no timeline (posts only).
    timeline_hit_ratio: float | None


def _replica_metrics(port: int, token: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (a loopback http URL)
        return response.read().decode()


def snapshot(env: dict) -> Snapshot:
    stack = Stack.from_env(env)
    with redis.Redis.from_url(stack.redis_url()) as client:
        commands = int(client.info("stats")["total_commands_processed"])
    lookups = _timeline_lookups(stack)
    return Snapshot(commands, sql_statements(stack), lookups["hit"], lookups["miss"])


def save_redis(stack: Stack) -> None:
    """Write Redis' data to its dump file, which the next start loads (the stack runs Redis as a cache,
    saving nothing by itself): a restart with other settings keeps every timeline."""
    with redis.Redis.from_url(stack.redis_url()) as client:
        client.save()


def redis_keys(stack: Stack) -> int:
    with redis.Redis.from_url(stack.redis_url()) as client:
        return int(client.dbsize())


def track_statements(stack: Stack) -> None:
    """pg_stat_statements' view in the app's database (the library is preloaded, the view is not)."""
    with psycopg.connect(stack.database_url(), autocommit=True, connect_timeout=5) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def sql_statements(stack: Stack) -> int:
    with psycopg.connect(stack.database_url(), connect_timeout=5) as connection:
        row = connection.execute("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements").fetchone()
    return int(row[0]) if row else 0


def _timeline_lookups(stack: Stack) -> dict[str, float]:
    token = stack.path("secrets", "metrics-token").read_text().strip()
    lookups = {"hit": 0.0, "miss": 0.0}
    for port in stack.web_ports():
        try:
            text = _replica_metrics(port, token)
        except urllib.error.HTTPError:
            # Metrics switched off (the observability-off measurement): no hit ratio to report.
            continue
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == TIMELINE_LOOKUPS and sample.labels.get("result") in lookups:
                    lookups[sample.labels["result"]] += sample.value
    return lookups


def difference(before: Snapshot, after: Snapshot, requests: int) -> Difference:
    hits, misses = after.timeline_hits - before.timeline_hits, after.timeline_misses - before.timeline_misses
    return Difference(
        redis_commands_per_request=(after.redis_commands - before.redis_commands) / max(1, requests),
        sql_statements_per_request=(after.sql_statements - before.sql_statements) / max(1, requests),
        timeline_hit_ratio=hits / (hits + misses) if hits + misses else None,
    )
