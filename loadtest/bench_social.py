"""`make bench-social`: the social workload on the native stack, written up under docs/benchmarks/.

It generates a power-law social graph from a seed (loadtest/social_graph.py), loads it with COPY and
builds every timeline through the app's read path (loadtest/social_load.py), prepares logged-in
sessions, then drives the stack with the DeathStarBench social-network mix (60% home timeline, 30%
user timeline, 10% posts) and a variant with likes and follows (loadtest/social_mix.py):
- the closed-loop maximum of each mix with wrk (loadtest/social.lua), beside the ceiling (/healthz
  through the same nginx) in the same run;
- open-loop latency at a fixed rate (half the maximum unless --rate) with vegeta, per request type
  (loadtest/open_loop.py), with CPU, Redis commands and timeline cache hits per request
  (loadtest/social_measure.py);
- the latency of a post by authors with 0, 1,000, 10,000 and 50,000 followers (--fanout);
- with --growth, the same mix at 1k, 10k and 100k users (tweets in proportion), each on a fresh stack.
The stack runs with the post and like rate limits raised, for the run only (RATELIMIT_* reach the
replicas through the stack's environment). Everything, the load generators included, runs on this
machine; the stack is the one `make stack` starts (stack/), with the bench-scale pieces reused.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from loadtest import bench_scale, open_loop, stack_counters
from loadtest.open_loop import OpenLoop
from loadtest.social_graph import Graph
from loadtest.social_measure import (
    PREPARED_REQUESTS,
    SocialRun,
    fixed_rate,
    measure,
    measure_fanout,
    observed,
    prepare,
    print_open,
    rebuild_timelines,
)
from loadtest.social_mix import MIXES, requests
from stack.layout import Stack

REPO = Path(__file__).resolve().parents[1]
# High enough that no request of the run is refused: the benchmark measures the app, not its limits.
RAISED_RATE_LIMITS = {
    name: "1000000/m"
    for name in ("RATELIMIT_POST_USER", "RATELIMIT_POST_IP", "RATELIMIT_LIKE_USER", "RATELIMIT_LIKE_IP")
}
# What observability costs: the replicas' settings of each measurement (the README's
# sampling policy). "100%" is every runtime's default: no sampler set is OpenTelemetry's
# parentbased_always_on.
OBSERVABILITY = {
    "off (no traces, no metrics)": {"OTEL_SDK_DISABLED": "true", "METRICS_ENABLED": "false"},
    "metrics only (no traces)": {"OTEL_SDK_DISABLED": "true"},
    "traces sampled 10%": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
    "traces 100%": {"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
}


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
    finally:
        stack_counters.save_redis(Stack.from_env(env))
        bench_scale.stack(env, "down")
    social = next(m for m in closed if m.label == "social")
    rate = args.rate or max(1.0, round(social.rps / 2))
    observability = run_observability(args, graph, prepared, rate, work)
    return SocialRun(graph.shape(), timings, ceiling, closed, opened, posts, observability)


def run_observability(args, graph: Graph, prepared, rate: float, work: Path) -> list:
    """The social mix with observability off, in part and on, each on the same data restarted with
    those settings, Redis' timelines saved and loaded across the restart (rebuilt if none were)."""
    results = []
    for label, settings in OBSERVABILITY.items():
        env = bench_scale.stack_env(args.state, args.replicas, RAISED_RATE_LIMITS | settings)
        print(f"bench-social: observability {label}", flush=True)
        bench_scale.stack(env, "up")
        try:
            if not stack_counters.redis_keys(Stack.from_env(env)):
                rebuild_timelines(env)
            results.append(
                observed(
                    env,
                    graph,
                    prepared,
                    label,
                    replicas=args.replicas,
                    connections=args.connections,
                    seconds=args.duration,
                    rate=rate,
                    work=work,
                )
            )
        finally:
            stack_counters.save_redis(Stack.from_env(env))
            bench_scale.stack(env, "down")
    return results


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
            prepared, _ = prepare(env, graph, sessions=args.sessions, fanout=[], work=work, readers_only=True)
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
            print_open(result)
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
    parser.add_argument("--users", type=graph_users, default=10_000, help="users of the graph")
    parser.add_argument("--tweets", type=at_least(int, 0), default=1_000_000, help="tweets of the graph")
    parser.add_argument("--seed", type=int, default=14, help="the graph's seed: the same graph every run")
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
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-social-") as folder:
        work = Path(folder)
        run = run_full(args, graph, work)
        growth = run_growth(args, work) if args.growth else []

    from loadtest.social_report import write_report

    settings = {
        "replicas": args.replicas,
        "load_average": (load_at_start, os.getloadavg()[0]),
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
