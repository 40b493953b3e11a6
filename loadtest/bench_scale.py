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

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("summary.lua")


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
    port = env.get("STACK_PORT_NGINX")
    if port:
        return f"http://127.0.0.1:{port}"
    from stack.layout import Stack

    return Stack.from_env(env).url("nginx").rstrip("/")


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


def wrk(url: str, connections: int, seconds: float) -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("bench-scale: wrk not found: install it with `apt-get install -y wrk`")
    result = subprocess.run(
        # wrk needs at least as many connections as threads; two threads match the two cores.
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(SCRIPT),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(env: dict, replicas: int, path: str, connections: int, seconds: float) -> Measurement:
    groups = replica_processes(env, replicas)
    before, started = cpu_seconds(groups), time.monotonic()
    result = wrk(site_url(env) + path, connections, seconds)
    elapsed = time.monotonic() - started
    used = [after - first for first, after in zip(before, cpu_seconds(groups), strict=True)]
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
        cpu_per_replica=100 * sum(used) / len(used) / elapsed,
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


def run_replicas(state: Path, replicas: int, args, extra_env: dict | None = None) -> list[Measurement]:
    env = stack_env(state, replicas, extra_env or {})
    print(f"bench-scale: starting the stack with {replicas} replica(s)", flush=True)
    stack(env, "up")
    try:
        seed(env, args.tweets)
        return measure_running(env, replicas, args.connections, args.duration)
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
    parser.add_argument("--no-overhead", action="store_true", help="skip the observability on/off comparison")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    out = args.out or REPO / "docs" / "benchmarks" / f"{started:%Y-%m-%d}-scale"
    out.mkdir(parents=True, exist_ok=True)
    # A fresh state folder: the same data for every run of the benchmark.
    subprocess.run(
        [sys.executable, "-m", "stack", "clean"],
        cwd=REPO,
        env=stack_env(args.state, 1, {}),
        capture_output=True,
        check=False,
    )

    scaling = [m for replicas in args.replicas for m in run_replicas(args.state, replicas, args)]
    overhead = []
    if not args.no_overhead:
        replicas = 2 if 2 in args.replicas else args.replicas[0]
        on = next(m for m in scaling if m.replicas == replicas and m.path == "/explore/")
        off = run_replicas(
            args.state, replicas, args, {"OTEL_SDK_DISABLED": "true", "METRICS_ENABLED": "false"}
        )
        overhead = [on, off[0]]

    from loadtest.report import write_report

    report = write_report(
        out,
        scaling=scaling,
        overhead=overhead,
        settings={
            "tweets": args.tweets,
            "connections": args.connections,
            "duration_s": args.duration,
            "workers_per_replica": 1,
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
