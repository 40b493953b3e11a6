"""`make loadtest`: run the locustfile headless against a base URL and print a summary.

Raw stats (CSV: per-endpoint stats, history, failures) stay in the output folder; locust prints its
progress table every few seconds while it runs.
"""

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def run_locust(url: str, users: int, duration: str, spawn_rate: float, out: Path, extra_env=None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / "locust"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        url,
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        duration,
        "--csv",
        str(prefix),
        "--csv-full-history",
        "--stop-timeout",
        "5",
        "--exit-code-on-error",
        "0",
    ]
    env = {**os.environ, **(extra_env or {})}
    subprocess.run(command, check=True, env=env)
    return prefix


def summary(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    requests = int(total["Request Count"])
    return {
        "requests": requests,
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "endpoints": [row for row in rows if row["Name"] != "Aggregated"],
    }


def print_summary(result: dict, out: Path) -> None:
    print(f"\n{'endpoint':32} {'requests':>9} {'fails':>6} {'rps':>8} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in result["endpoints"]:
        print(
            f"{row['Type'] + ' ' + row['Name']:32.32} {row['Request Count']:>9} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):>8.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    error_rate = result["failures"] / result["requests"] if result["requests"] else 0.0
    print(
        f"\nTOTAL {result['requests']} requests, {result['rps']:.1f} req/s, p50 {result['p50_ms']:.0f} ms, "
        f"p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, errors {result['failures']} "
        f"({error_rate:.2%})\nraw stats: {out}/"
    )


def default_url() -> str:
    from stack.layout import Stack

    return Stack.from_env().site_url().rstrip("/")


def trust_environment(url: str) -> dict[str, str]:
    """Locust's requests verify the native stack's certificate with its local CA (when the URL is the
    stack's own site, and no certificate of the operator's replaced the CA's)."""
    from stack.layout import Stack

    stack = Stack.from_env()
    if url.rstrip("/") != stack.site_url().rstrip("/") or stack.tls_cert or not stack.ca_file.exists():
        return {}
    return {"REQUESTS_CA_BUNDLE": str(stack.ca_file)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="base URL (default: the native stack's nginx)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", default="30s", help="locust run time, e.g. 30s, 2m")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument(
        "--out", type=Path, default=REPO / "var" / "loadtest" / time.strftime("%Y%m%d-%H%M%S")
    )
    args = parser.parse_args(argv)
    url = args.url or default_url()
    prefix = run_locust(url, args.users, args.duration, args.spawn_rate, args.out, trust_environment(url))
    result = summary(prefix)
    print_summary(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
