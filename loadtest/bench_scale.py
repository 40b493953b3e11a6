"""`make bench-scale`: how the native stack scales with web_replicas, written up under docs/benchmarks/.

For each replica count (one gunicorn worker per replica) it starts the stack, seeds the tweets once,
and runs the same closed-loop load with wrk at the same concurrency: the Explore timeline (warm cache),
a trivial endpoint through the same nginx (/healthz: a fixed response, no database) as the ceiling,
and the timeline at a quarter of the concurrency for latency under lighter load. It also compares
observability on and off at two replicas. wrk, not Locust, measures here: a Python load generator
would spend the same two cores the stack needs, and cap the numbers it reports.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

from loadtest import profile
from loadtest.flamegraph import write_svg

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("summary.lua")
PROFILE_RATE = 100  # samples per second


@dataclass
class Measurement:
    replicas: int
    path: str
    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_per_replica: float  # percent of one core, averaged over replicas


def stack_env(state: Path, replicas: int, extra: dict) -> dict:
    keep = ("PATH", "HOME", "LANG", "TWEETSTACK_CACHE")
    env = {key: value for key, value in os.environ.items() if key in keep or key.startswith("STACK_PORT_")}
    return env | {"STACK_DIR": str(state), "STACK_REPLICAS": str(replicas), "WEB_CONCURRENCY": "1"} | extra


def stack(env: dict, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "stack", *arguments], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(
            f"bench-scale: `stack {' '.join(arguments)}` failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def site_url(env: dict) -> str:
    """The HTTPS site, as users reach it (wrk does not verify certificates; the plain-HTTP listener
    would answer every request with a redirect, which wrk counts as a success)."""
    from stack.layout import Stack

    return Stack.from_env(env).site_url().rstrip("/")


def ca_file(env: dict) -> Path | None:
    """The local CA that issued the stack's certificate, for clients that verify it (vegeta); None
    when the stack serves a certificate of the operator's (the system's trust applies)."""
    from stack.layout import Stack

    stack = Stack.from_env(env)
    return None if stack.tls_cert or not stack.ca_file.exists() else stack.ca_file


def replica_processes(env: dict, replicas: int) -> list[list[psutil.Process]]:
    """Each replica's gunicorn master and workers, found through supervisor."""
    groups = []
    for index in range(replicas):
        pid = int(stack(env, "pid", f"web-{index}").strip())
        master = psutil.Process(pid)
        groups.append([master, *master.children(recursive=True)])
    return groups


def cpu_seconds(groups: list[list[psutil.Process]]) -> list[float]:
    totals = []
    for group in groups:
        total = 0.0
        for process in group:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        totals.append(total)
    return totals


def wrk_command(
    url: str, connections: int, seconds: float, script: Path = SCRIPT, script_args: tuple[str, ...] = ()
) -> list[str]:
    if not shutil.which("wrk"):
        raise SystemExit("bench-scale: wrk not found: install it with `apt-get install -y wrk`")
    # wrk needs at least as many connections as threads; two threads match the two cores.
    return [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        *(["--", *script_args] if script_args else []),
    ]


def wrk(
    url: str, connections: int, seconds: float, script: Path = SCRIPT, script_args: tuple[str, ...] = ()
) -> dict:
    """wrk's results: the JSON lines its script prints at the end (summary.lua's last), merged."""
    command = wrk_command(url, connections, seconds, script, script_args)
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return {key: value for line in lines for key, value in json.loads(line).items()}


def profile_under_load(
    url: str, pid: int, *, replicas: int, connections: int, seconds: float, out: Path, name: str
) -> profile.Profile:
    """py-spy on one worker (pid) while wrk loads url; collapsed stacks, summary and flamegraph in out.

    A pass of its own after the measurements: py-spy pauses the worker for each sample, which must
    not show in the measured numbers.
    """
    load = subprocess.Popen(wrk_command(url, connections, seconds + 2), stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)  # sample only while the load is steady
        stacks_file = profile.record(pid, seconds, out / f"profile-{name}.collapsed", rate=PROFILE_RATE)
    finally:
        output, _ = load.communicate()
    result = json.loads(output.strip().splitlines()[-1])
    # nginx spreads requests round-robin, so each replica served its share of them.
    requests = result["requests"] / (result["duration_us"] / 1e6) * seconds / replicas
    stacks = profile.read_stacks(stacks_file)
    profile.write_stacks(stacks, stacks_file.with_name(stacks_file.name + ".gz"))
    stacks_file.unlink()
    aggregated = profile.aggregate(stacks, rate=PROFILE_RATE, requests=requests)
    title = f"{name}: {url}, {replicas} replica(s), {connections} connections, {seconds:g} s"
    (out / f"profile-{name}.txt").write_text(profile.summary(aggregated, title))
    write_svg(stacks, out / f"profile-{name}.svg", title)
    return aggregated


def with_cpu(env: dict, replicas: int, run):
    """run()'s result, and the replicas' mean CPU (percent of one core) while it ran."""
    groups = replica_processes(env, replicas)
    before, started = cpu_seconds(groups), time.monotonic()
    result = run()
    elapsed = time.monotonic() - started
    used = [after - first for first, after in zip(before, cpu_seconds(groups), strict=True)]
    return result, 100 * sum(used) / len(used) / elapsed


def measure(env: dict, replicas: int, path: str, connections: int, seconds: float) -> Measurement:
    result, cpu = with_cpu(env, replicas, lambda: wrk(site_url(env) + path, connections, seconds))
    return Measurement(
        replicas=replicas,
        path=path,
        connections=connections,
        rps=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p95_ms=result["p95_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=result["socket_errors"] + result["http_errors"],
        requests=result["requests"],
        cpu_per_replica=cpu,
    )


def seed(env: dict, tweets: int) -> None:
    stack(env, "manage", "seed_demo", "--tweets", str(tweets), "--images-every", "0")


def measure_running(env: dict, replicas: int, connections: int, duration: float) -> list[Measurement]:
    """Timeline, ceiling and lighter-load timeline against a running, seeded stack."""
    wrk(site_url(env) + "/explore/", connections, 2)  # warm the cache and connections
    results = [
        measure(env, replicas, "/explore/", connections, duration),
        measure(env, replicas, "/healthz", connections, duration),
        measure(env, replicas, "/explore/", max(1, connections // 4), duration),
    ]
    for m in results:
        print(
            f"  {m.path:10} c={m.connections:<3} {m.rps:8.1f} req/s  p50 {m.p50_ms:6.1f}  p95 {m.p95_ms:6.1f}"
            f"  p99 {m.p99_ms:6.1f} ms  errors {m.errors}  cpu/replica {m.cpu_per_replica:5.1f}%",
            flush=True,
        )
    return results


def measure_social(env: dict, replicas: int, args) -> Measurement:
    """The social workload's mix (loadtest/social_measure.py) on a small graph, beside Explore."""
    import tempfile

    # Imported here: social_measure builds on this module.
    from loadtest import social_measure
    from loadtest.social_graph import Graph

    graph = Graph(args.social_users, args.social_tweets)
    with tempfile.TemporaryDirectory(prefix="bench-scale-social-") as folder:
        work = Path(folder)
        sessions = min(200, graph.users)
        prepared, _ = social_measure.prepare(env, graph, sessions=sessions, fanout=[], work=work)
        m = social_measure.social_maximum(
            env, graph, prepared, replicas, args.connections, args.duration, work
        )
    print(f"  social mix c={m.connections:<3} {m.rps:8.1f} req/s  p99 {m.p99_ms:6.1f} ms  errors {m.errors}")
    return m


def run_replicas(
    state: Path, replicas: int, args, extra_env: dict | None = None, profile_name: str | None = None
) -> tuple[list[Measurement], profile.Profile | None]:
    """Measure a stack of `replicas`; with profile_name, then profile one worker under the timeline load."""
    env = stack_env(state, replicas, extra_env or {})
    print(f"bench-scale: starting the stack with {replicas} replica(s)", flush=True)
    stack(env, "up")
    try:
        seed(env, args.tweets)
        measurements = measure_running(env, replicas, args.connections, args.duration)
        if args.social_users:
            measurements.append(measure_social(env, replicas, args))
        if not profile_name:
            return measurements, None
        worker = replica_processes(env, replicas)[0][1]
        print(f"  profiling web-0's worker (pid {worker.pid}) for {args.profile_seconds:g} s", flush=True)
        profiled = profile_under_load(
            site_url(env) + "/explore/",
            worker.pid,
            replicas=replicas,
            connections=args.connections,
            seconds=args.profile_seconds,
            out=args.out,
            name=profile_name,
        )
        return measurements, profiled
    finally:
        stack(env, "down")


def versions() -> dict:
    def first_line(command: list[str]) -> str:
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            return "not found"
        return (result.stdout or result.stderr).strip().splitlines()[0]

    import django

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": first_line([sys.executable, "-m", "gunicorn", "--version"]),
        "nginx": first_line(["nginx", "-v"]),
        "postgresql": first_line(["psql", "--version"]),
        "redis": first_line(["redis-server", "--version"]),
        "wrk": first_line(["wrk", "--version"]),
    }


def machine() -> dict:
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": platform.processor() or platform.machine(),
        "kernel": platform.release(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--tweets", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per measurement")
    parser.add_argument("--state", type=Path, default=REPO / "var" / "bench" / "stack")
    parser.add_argument("--out", type=Path, help="report folder (default docs/benchmarks/<date>-scale)")
    parser.add_argument(
        "--social-users", type=int, default=1000, help="users of the social mix's graph (0: no social mix)"
    )
    parser.add_argument("--social-tweets", type=int, default=50_000, help="tweets of the social mix's graph")
    parser.add_argument("--no-overhead", action="store_true", help="skip the observability on/off comparison")
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=15,
        help="py-spy a worker this long under the timeline load at the on/off replica count (0: no profile)",
    )
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    out = args.out = args.out or REPO / "docs" / "benchmarks" / f"{started:%Y-%m-%d}-scale"
    out.mkdir(parents=True, exist_ok=True)
    # A fresh state folder: the same data for every run of the benchmark.
    subprocess.run(
        [sys.executable, "-m", "stack", "clean"],
        cwd=REPO,
        env=stack_env(args.state, 1, {}),
        capture_output=True,
        check=False,
    )

    # Observability on vs off, and the profiles, at two replicas (or the first count asked for).
    compared = 2 if 2 in args.replicas else args.replicas[0]
    scaling, profiles = [], {}
    for replicas in args.replicas:
        name = "obs-on" if args.profile_seconds and replicas == compared else None
        measurements, profiled = run_replicas(args.state, replicas, args, profile_name=name)
        scaling += measurements
        if profiled:
            profiles[name] = profiled
    overhead = []
    if not args.no_overhead:
        from loadtest import social_measure

        on = next(m for m in scaling if m.replicas == compared and m.path == "/explore/")
        name = "obs-off" if args.profile_seconds else None
        off, profiled = run_replicas(
            args.state,
            compared,
            args,
            {"OTEL_SDK_DISABLED": "true", "METRICS_ENABLED": "false"},
            profile_name=name,
        )
        overhead = [on, off[0]]
        # The social mix on and off too, where measured (Explore's pair stays the target's).
        social = [
            m for m in (*scaling, *off) if m.replicas == compared and m.path == social_measure.SOCIAL_PATH
        ]
        overhead += social if len(social) == 2 else []
        if profiled:
            profiles[name] = profiled

    from loadtest.report import write_report

    report = write_report(
        out,
        scaling=scaling,
        overhead=overhead,
        profiles=profiles,
        settings={
            "tweets": args.tweets,
            "connections": args.connections,
            "duration_s": args.duration,
            "workers_per_replica": 1,
            "profile_seconds": args.profile_seconds,
            "profile_rate": PROFILE_RATE,
            "profile_replicas": compared,
            "social_users": args.social_users,
            "social_tweets": args.social_tweets,
        },
        machine=machine(),
        versions=versions(),
        started=started,
    )
    (out / "results.json").write_text(
        json.dumps(
            {"scaling": [asdict(m) for m in scaling], "overhead": [asdict(m) for m in overhead]}, indent=2
        )
    )
    print(f"bench-scale: report written to {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
