"""bench-social's measurements against a running native stack: loading the graph, the closed-loop
maximum (wrk with loadtest/social.lua), open-loop latency at a fixed rate (vegeta) with the replicas'
CPU, Redis commands and timeline cache hits per request, and posts by the fan-out authors. Used by
`make bench-social` (loadtest/bench_social.py) and its smoke on the end-to-end tests' stack."""

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from loadtest import bench_scale, open_loop, stack_counters
from loadtest.open_loop import OpenLoop
from loadtest.social_graph import Graph
from loadtest.social_mix import Prepared, posts_by, requests, write_wrk_requests
from stack.layout import Stack

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("social.lua")
# Requests prepared per run of a load generator (both cycle through them).
PREPARED_REQUESTS = 20_000
# bench-scale's name for the social mix among the paths it measures.
SOCIAL_PATH = "social mix"


@dataclass
class ClosedLoop:
    label: str
    connections: int
    duration_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int


@dataclass
class FanoutPost:
    followers: int
    fanned_out: bool  # False: above TIMELINE_FANOUT_MAX_FOLLOWERS, merged into Home at read time
    result: OpenLoop


@dataclass
class Observed:
    """The social mix under one observability setting (bench_social.OBSERVABILITY)."""

    label: str
    closed: ClosedLoop
    open: OpenLoop


@dataclass
class SocialRun:
    graph: dict
    timings: dict
    ceiling: bench_scale.Measurement
    closed: list[ClosedLoop]
    open: list[OpenLoop]
    fanout: list[FanoutPost]
    observability: list[Observed] = field(default_factory=list)


def loader_env(env: dict) -> dict:
    """The replicas' Django environment, so the loader writes what they read; no telemetry of its own."""
    from stack import render
    from stack.layout import Stack

    stack = Stack.from_env(env)
    django_env = render.django_environment(stack, render.secret(stack, "django-secret-key", 50))
    return django_env | {
        "PYTHONPATH": f"{REPO / 'app'}:{REPO}",
        "OTEL_SDK_DISABLED": "true",
        "METRICS_ENABLED": "false",
    }


def prepare(
    env: dict, graph: Graph, *, sessions: int, fanout: list[int], work: Path, readers_only: bool = False
) -> tuple[Prepared, dict]:
    """Load the graph into the running stack; the sessions and tweets the load uses, and the timings.
    readers_only: only the sessions' accounts get their timelines prepared (the growth curve, where
    building 100,000 accounts' would take an hour); the rest are built by the first read of each."""
    out = work / "prepared.json"
    command = [sys.executable, "-m", "loadtest.social_load", "--users", str(graph.users)]
    command += ["--tweets", str(graph.tweets), "--seed", str(graph.seed), "--sessions", str(sessions)]
    command += ["--out", str(out), "--fanout", *map(str, fanout)]
    command += ["--readers-only"] if readers_only else []
    started = time.monotonic()
    _loader(env, command, "loading the graph")
    stack_counters.track_statements(Stack.from_env(env))
    timings = json.loads(out.read_text())["timings"] | {"prepare_s": time.monotonic() - started}
    print(
        f"bench-social: {graph.users} users, {graph.tweets} tweets loaded in {timings['prepare_s']:.1f} s "
        f"(COPY {timings['copy_s']:.1f} s, timelines {timings['timelines_s']:.1f} s)",
        flush=True,
    )
    return Prepared.read(out), timings


def _loader(env: dict, command: list[str], what: str) -> None:
    result = subprocess.run(command, cwd=REPO, env=loader_env(env), capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"bench-social: {what} failed:\n{result.stderr[-3000:]}")


def rebuild_timelines(env: dict) -> None:
    """Every account's timelines rebuilt from PostgreSQL, as prepare() left them (after a restart)."""
    started = time.monotonic()
    _loader(env, [sys.executable, "-m", "loadtest.social_load", "--rebuild-only"], "rebuilding timelines")
    print(f"  timelines rebuilt in {time.monotonic() - started:.1f} s", flush=True)


def observed(
    env: dict,
    graph: Graph,
    prepared: Prepared,
    label: str,
    *,
    replicas: int,
    connections: int,
    seconds: float,
    rate: float,
    work: Path,
) -> Observed:
    """The social mix's closed-loop maximum, then its latency and cost at rate (the same in every
    setting, so the CPU per request compares)."""
    listed = requests(graph, prepared, "social", PREPARED_REQUESTS, graph.seed + 2)
    maximum = closed_loop(env, listed, label=label, connections=connections, seconds=seconds, work=work)
    print(f"  {label:28} max {maximum.rps:8.1f} req/s  p99 {maximum.p99_ms:6.1f} ms", flush=True)
    listed = requests(graph, prepared, "social", PREPARED_REQUESTS, graph.seed + 3)
    groups = bench_scale.replica_processes(env, replicas)
    result = fixed_rate(env, groups, listed, label=label, rate=rate, seconds=seconds, work=work)
    print_open(result)
    return Observed(label, maximum, result)


def social_maximum(
    env: dict, graph: Graph, prepared: Prepared, replicas: int, connections: int, seconds: float, work: Path
) -> bench_scale.Measurement:
    """The social mix's closed-loop maximum as bench-scale measures a path: beside Explore, with the
    replicas' CPU."""
    listed = requests(graph, prepared, "social", PREPARED_REQUESTS, graph.seed)
    m, cpu = bench_scale.with_cpu(
        env,
        replicas,
        lambda: closed_loop(env, listed, label="social", connections=connections, seconds=seconds, work=work),
    )
    return bench_scale.Measurement(
        replicas=replicas,
        path=SOCIAL_PATH,
        connections=connections,
        rps=m.rps,
        p50_ms=m.p50_ms,
        p95_ms=m.p95_ms,
        p99_ms=m.p99_ms,
        errors=m.errors,
        requests=m.requests,
        cpu_per_replica=cpu,
    )


def closed_loop(env: dict, listed, *, label: str, connections: int, seconds: float, work: Path) -> ClosedLoop:
    file = write_wrk_requests(work / f"{label}.wrk", listed)
    site = bench_scale.site_url(env)
    result = bench_scale.wrk(site + "/", connections, seconds, SCRIPT, (str(file), site))
    return ClosedLoop(
        label=label,
        connections=connections,
        duration_s=seconds,
        rps=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p95_ms=result["p95_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        requests=result["requests"],
        # social.lua's count of answers that are not a success includes wrk's own http_errors (>= 400).
        errors=result["socket_errors"] + result["unexpected"],
    )


def fixed_rate(
    env: dict, groups: list, listed, *, label: str, rate: float, seconds: float, work: Path
) -> OpenLoop:
    """vegeta at rate, with the CPU per request (in ms) of the replicas' processes (groups, found once
    by bench_scale.replica_processes), Redis commands per request and the timeline cache's hit ratio."""
    counted = stack_counters.snapshot(env)
    before = sum(bench_scale.cpu_seconds(groups))
    result = open_loop.attack(
        bench_scale.site_url(env),
        listed,
        rate=rate,
        duration=seconds,
        work=work,
        label=label,
        ca_file=bench_scale.ca_file(env),
    )
    used = sum(bench_scale.cpu_seconds(groups)) - before
    result.cpu_ms_per_request = 1000 * used / max(1, result.overall.requests)
    change = stack_counters.difference(counted, stack_counters.snapshot(env), result.overall.requests)
    result.redis_commands_per_request = change.redis_commands_per_request
    result.sql_statements_per_request = change.sql_statements_per_request
    result.timeline_hit_ratio = change.timeline_hit_ratio
    return result


def _share(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def print_open(result: OpenLoop) -> None:
    o = result.overall
    print(
        f"  {result.label:28} {result.rate:6.1f}/s -> {result.achieved_rps:6.1f} req/s  p50 {o.p50_ms:6.1f}"
        f"  p95 {o.p95_ms:6.1f}  p99 {o.p99_ms:6.1f} ms  errors {o.errors}"
        f"  cpu {result.cpu_ms_per_request:.1f} ms/req  redis {result.redis_commands_per_request:.1f} cmd/req"
        f"  sql {result.sql_statements_per_request:.1f} stmt/req"
        f"  timeline hits {_share(result.timeline_hit_ratio)}",
        flush=True,
    )
    for sample in result.error_samples:
        print(f"    error: {sample}", flush=True)


def measure(
    env: dict,
    graph: Graph,
    prepared: Prepared,
    *,
    replicas: int,
    connections: int,
    seconds: float,
    rate: float | None,
    mixes: list[str],
    work: Path,
) -> tuple[bench_scale.Measurement, list[ClosedLoop], list[OpenLoop]]:
    """The ceiling, then per mix the closed-loop maximum and open-loop latency at a fixed rate."""
    ceiling = bench_scale.measure(env, replicas, "/healthz", connections, seconds)
    print(f"  ceiling /healthz {ceiling.rps:8.1f} req/s  errors {ceiling.errors}", flush=True)
    closed, opened = [], []
    groups = bench_scale.replica_processes(env, replicas)
    for mix in mixes:
        listed = requests(graph, prepared, mix, PREPARED_REQUESTS, graph.seed)
        maximum = closed_loop(env, listed, label=mix, connections=connections, seconds=seconds, work=work)
        print(
            f"  {mix:28} max {maximum.rps:8.1f} req/s  p99 {maximum.p99_ms:6.1f} ms  errors {maximum.errors}",
            flush=True,
        )
        closed.append(maximum)
        # Fresh requests: the closed loop's posts and follows are in the database now.
        listed = requests(graph, prepared, mix, PREPARED_REQUESTS, graph.seed + 1)
        at = rate or max(1.0, round(maximum.rps / 2))
        opened.append(fixed_rate(env, groups, listed, label=mix, rate=at, seconds=seconds, work=work))
        print_open(opened[-1])
    return ceiling, closed, opened


def measure_fanout(
    env: dict, replicas: int, prepared: Prepared, *, threshold: int, rate: float, seconds: float, work: Path
) -> list[FanoutPost]:
    """Posts by each fan-out author at a fixed rate: what a post costs by its author's followers."""
    results = []
    groups = bench_scale.replica_processes(env, replicas)
    for followers, session in sorted(prepared.fanout.items()):
        label = f"post-{followers}-followers"
        listed = posts_by(session, prepared, max(1, round(rate * seconds)), label)
        result = fixed_rate(env, groups, listed, label=label, rate=rate, seconds=seconds, work=work)
        print_open(result)
        results.append(FanoutPost(followers=followers, fanned_out=followers <= threshold, result=result))
    return results
