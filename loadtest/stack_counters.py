"""Counters of the running native stack, read before and after a measurement: Redis commands
processed (Redis' own INFO, so every client counts, the exporter's few scrapes included) and the
replicas' timeline look-ups served from the Redis sets or not (their /metrics, the app's
tweetstack_timeline_cache_requests_total)."""

import urllib.request
from dataclasses import dataclass

import redis
from prometheus_client.parser import text_string_to_metric_families

from stack.layout import Stack

TIMELINE_LOOKUPS = "tweetstack_timeline_cache_requests_total"


@dataclass(frozen=True)
class Snapshot:
    redis_commands: int
    timeline_hits: float
    timeline_misses: float


@dataclass(frozen=True)
class Difference:
    redis_commands_per_request: float
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
    token = stack.path("secrets", "metrics-token").read_text().strip()
    lookups = {"hit": 0.0, "miss": 0.0}
    for port in stack.web_ports():
        for family in text_string_to_metric_families(_replica_metrics(port, token)):
            for sample in family.samples:
                if sample.name == TIMELINE_LOOKUPS and sample.labels.get("result") in lookups:
                    lookups[sample.labels["result"]] += sample.value
    return Snapshot(commands, lookups["hit"], lookups["miss"])


def difference(before: Snapshot, after: Snapshot, requests: int) -> Difference:
    hits, misses = after.timeline_hits - before.timeline_hits, after.timeline_misses - before.timeline_misses
    return Difference(
        redis_commands_per_request=(after.redis_commands - before.redis_commands) / max(1, requests),
        timeline_hit_ratio=hits / (hits + misses) if hits + misses else None,
    )
