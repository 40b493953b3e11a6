"""`make bench-social`: the social workload on the native stack, written up under docs/benchmarks/.

It generates a power-law social graph from a seed (loadtest/social_graph.py), loads it with COPY and
builds every timeline through the app's read path (loadtest/social_load.py), prepares logged-in
sessions, then drives the stack with the DeathStarBench social-network mix (60% home timeline, 30%
user timeline, 10% posts) and a variant with likes and follows (loadtest/social_mix.py):
- the closed-loop maximum of each mix with wrk (loadtest/social.lua), beside the ceiling (/healthz
  through the same nginx) in the same run;
- open-loop latency at a fixed rate (half the maximum unless --rate) with vegeta, per request type
  (loadtest/open_loop.py);
- the latency of a post by authors with 0, 1,000, 10,000 and 50,000 followers (--fanout);
- with --growth, the same mix at 1k, 10k and 100k users (tweets in proportion), each on a fresh stack.
The stack runs with the post and like rate limits raised, for the run only (RATELIMIT_* reach the
replicas through the stack's environment). Everything, the load generators included, runs on this
machine; the stack is the one `make stack` starts (stack/), with the bench-scale pieces reused.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from loadtest import bench_scale, open_loop, stack_counters
from loadtest.open_loop import OpenLoop
from loadtest.social_graph import Graph
from loadtest.social_mix import MIXES, Prepared, posts_by, requests, write_wrk_requests

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("social.lua")
# High enough that no request of the run is refused: the benchmark measures the app, not its limits.
RAISED_RATE_LIMITS = {
    name: "1000000/m"
    for name in ("RATELIMIT_POST_USER", "RATELIMIT_POST_IP", "RATELIMIT_LIKE_USER", "RATELIMIT_LIKE_IP")
}
# Requests prepared per run of a load generator (both cycle through them).
PREPARED_REQUESTS = 20_000


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
class SocialRun:
    graph: dict
    timings: dict
    ceiling: bench_scale.Measurement
    closed: list[ClosedLoop]
    open: list[OpenLoop]
    fanout: list[FanoutPost]


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
    env: dict, graph: Graph, *, sessions: int, fanout: list[int], work: Path
) -> tuple[Prepared, dict]:
    """Load the graph into the running stack; the sessions and tweets the load uses, and the timings."""
    out = work / "prepared.json"
    command = [sys.executable, "-m", "loadtest.social_load", "--users", str(graph.users)]
    command += ["--tweets", str(graph.tweets), "--seed", str(graph.seed), "--sessions", str(sessions)]
    command += ["--out", str(out), "--fanout", *map(str, fanout)]
    started = time.monotonic()
    result = subprocess.run(command, cwd=REPO, env=loader_env(env), capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"bench-social: loading the graph failed:\n{result.stderr[-3000:]}")
    timings = json.loads(out.read_text())["timings"] | {"prepare_s": time.monotonic() - started}
    print(
        f"bench-social: {graph.users} users, {graph.tweets} tweets loaded in {timings['prepare_s']:.1f} s "
        f"(COPY {timings['copy_s']:.1f} s, timelines {timings['timelines_s']:.1f} s)",
        flush=True,
    )
    return Prepared.read(out), timings


def closed_loop(env: dict, listed, *, label: str, connections: int, seconds: float, work: Path) -> ClosedLoop:
    file = write_wrk_requests(work / f"{label}.wrk", listed)
    result = bench_scale.wrk(bench_scale.site_url(env) + "/", connections, seconds, SCRIPT, (str(file),))
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
        bench_scale.site_url(env), listed, rate=rate, duration=seconds, work=work, label=label
    )
    used = sum(bench_scale.cpu_seconds(groups)) - before
    result.cpu_ms_per_request = 1000 * used / max(1, result.overall.requests)
    change = stack_counters.difference(counted, stack_counters.snapshot(env), result.overall.requests)
    result.redis_commands_per_request = change.redis_commands_per_request
    result.timeline_hit_ratio = change.timeline_hit_ratio
    return result


def _share(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def _print_open(result: OpenLoop) -> None:
    o = result.overall
    print(
        f"  {result.label:28} {result.rate:6.1f}/s -> {result.achieved_rps:6.1f} req/s  p50 {o.p50_ms:6.1f}"
        f"  p95 {o.p95_ms:6.1f}  p99 {o.p99_ms:6.1f} ms  errors {o.errors}"
        f"  cpu {result.cpu_ms_per_request:.1f} ms/req  redis {result.redis_commands_per_request:.1f} cmd/req"
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
        _print_open(opened[-1])
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
        _print_open(result)
        results.append(FanoutPost(followers=followers, fanned_out=followers <= threshold, result=result))
    return results


def run_full(args, graph: Graph, work: Path) -> SocialRun:
    env = bench_scale.stack_env(args.state, args.replicas, RAISED_RATE_LIMITS)
    _clean(env)
    print(f"bench-social: starting the stack with {args.replicas} replica(s)", flush=True)
    bench_scale.stack(env, "up")
    try:
        prepared, timings = prepare(env, graph, sessions=args.sessions, fanout=args.fanout, work=work)
        ceiling, closed, opened = measure(
            env,
            graph,
            prepared,
            replicas=args.replicas,
            connections=args.connections,
            seconds=args.duration,
            rate=args.rate,
            mixes=list(MIXES),
            work=work,
        )
        posts = measure_fanout(
            env,
            args.replicas,
            prepared,
            threshold=prepared.fanout_threshold,
            rate=args.fanout_rate,
            seconds=args.fanout_seconds,
            work=work,
        )
        return SocialRun(graph.shape(), timings, ceiling, closed, opened, posts)
    finally:
        bench_scale.stack(env, "down")


def run_growth(args, work: Path) -> list[tuple[dict, OpenLoop]]:
    """The social mix at each size on a fresh stack, at one fixed rate: does a request cost the same?"""
    points = []
    per_user = args.tweets / args.users
    for users in args.growth_users:
        graph = Graph(users, round(users * per_user), args.seed)
        env = bench_scale.stack_env(args.state, args.replicas, RAISED_RATE_LIMITS)
        _clean(env)
        print(f"bench-social: growth point {users} users", flush=True)
        bench_scale.stack(env, "up")
        try:
            prepared, _ = prepare(env, graph, sessions=args.sessions, fanout=[], work=work)
            listed = requests(graph, prepared, "social", PREPARED_REQUESTS, graph.seed)
            result = fixed_rate(
                env,
                bench_scale.replica_processes(env, args.replicas),
                listed,
                label=f"social-{users}-users",
                rate=args.growth_rate,
                seconds=args.duration,
                work=work,
            )
            _print_open(result)
            points.append((graph.shape(), result))
        finally:
            bench_scale.stack(env, "down")
    return points


def _clean(env: dict) -> None:
    # A fresh state folder: the same data for every run of the benchmark.
    subprocess.run(
        [sys.executable, "-m", "stack", "clean"], cwd=REPO, env=env, capture_output=True, check=False
    )


def at_least(kind, minimum):
    """An argparse type: a number of that kind, refused with a clear message below minimum."""

    def parse(text: str):
        value = kind(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {text}")
        return value

    return parse


positive = at_least(float, 0.001)
count = at_least(int, 1)
# A social graph has at least two people.
graph_users = at_least(int, 2)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=graph_users, default=10_000)
    parser.add_argument("--tweets", type=at_least(int, 0), default=1_000_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--sessions", type=count, default=1000, help="logged-in users of the load")
    parser.add_argument("--replicas", type=count, default=2, help="web replicas, 1 worker each")
    parser.add_argument("--connections", type=count, default=16, help="wrk's connections")
    parser.add_argument("--duration", type=positive, default=30, help="seconds of load per measurement")
    parser.add_argument("--rate", type=positive, help="open-loop rate (default: half the maximum)")
    parser.add_argument(
        "--fanout",
        type=at_least(int, 0),
        nargs="*",
        default=[0, 1000, 10_000, 50_000],
        help="followers of the posting authors",
    )
    parser.add_argument("--fanout-rate", type=positive, default=5, help="posts per second per author")
    parser.add_argument("--fanout-seconds", type=positive, default=20)
    parser.add_argument(
        "--growth", action="store_true", help="also the growth curve (a fresh stack per size)"
    )
    parser.add_argument("--growth-users", type=graph_users, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--growth-rate", type=positive, default=50, help="open-loop rate at every size")
    parser.add_argument("--state", type=Path, default=REPO / "var" / "bench" / "social-stack")
    parser.add_argument("--out", type=Path, help="report folder (default docs/benchmarks/<date>-social)")
    return parser


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    started = datetime.now(UTC)
    out = args.out or REPO / "docs" / "benchmarks" / f"{started:%Y-%m-%d}-social"
    out.mkdir(parents=True, exist_ok=True)
    graph = Graph(args.users, args.tweets, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-social-") as folder:
        work = Path(folder)
        run = run_full(args, graph, work)
        growth = run_growth(args, work) if args.growth else []

    from loadtest.social_report import write_report

    settings = {
        "replicas": args.replicas,
        # bench_scale.stack_env starts every replica with WEB_CONCURRENCY=1.
        "workers_per_replica": 1,
        "connections": args.connections,
        "duration_s": args.duration,
        "sessions": args.sessions,
        "fanout_rate": args.fanout_rate,
        "fanout_seconds": args.fanout_seconds,
        "growth_rate": args.growth_rate,
        "rate_limits": RAISED_RATE_LIMITS,
    }
    report = write_report(
        out,
        run=run,
        growth=growth,
        settings=settings,
        machine=bench_scale.machine(),
        versions=bench_scale.versions() | {"vegeta": open_loop.version()},
        started=started,
    )
    (out / "results.json").write_text(
        json.dumps({"run": asdict(run), "growth": [[shape, asdict(r)] for shape, r in growth]}, indent=2)
    )
    print(f"bench-social: report written to {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
