"""Open-loop load at a fixed rate with vegeta, and its results per request type.

A closed-loop generator (wrk) waits for each answer before the next request, so a slow server is sent
less and its latency looks better than users would see; vegeta sends at the rate asked whatever the
answers, which is what latency at a given rate means. vegeta is built from the version pinned in
loadtest/vegeta/go.mod by tests/deploy/tools.sh (cached under ~/.cache/tweetstack, as every Go tool).
"""

import json
import math
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.social_mix import KINDS, Request, classify, expected, write_vegeta_targets

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tests" / "deploy" / "tools.sh"


@dataclass
class Latency:
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class OpenLoop:
    label: str
    rate: float
    duration_s: float
    achieved_rps: float
    overall: Latency
    by_kind: dict[str, Latency]
    # A few of the failures as seen (status, where it redirected, the transport error).
    error_samples: list[str] = field(default_factory=list)
    # Read around the measurement (bench_social.fixed_rate, loadtest/stack_counters.py).
    cpu_ms_per_request: float = 0.0
    redis_commands_per_request: float = 0.0
    sql_statements_per_request: float = 0.0
    timeline_hit_ratio: float | None = None

    @property
    def errors(self) -> int:
        return self.overall.errors


def vegeta() -> str:
    result = subprocess.run([str(TOOLS), "vegeta"], capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"bench-social: building vegeta failed:\n{result.stderr}")
    return result.stdout.strip()


def version() -> str:
    """The pinned version (a `go build` of a module dependency stamps none into the binary)."""
    for line in (REPO / "loadtest" / "vegeta" / "go.mod").read_text().splitlines():
        words = line.split()
        if words[:1] == ["github.com/tsenart/vegeta/v12"]:
            return words[1]
    return "unknown"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (what wrk and vegeta report)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]


def _latency(latencies: list[float], errors: int) -> Latency:
    return Latency(
        requests=len(latencies),
        errors=errors,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
    )


def summarize(lines, label: str, rate: float, duration: float) -> OpenLoop:
    """vegeta's JSON results (one per line) by request type, checked against what a success is."""
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors = dict.fromkeys(KINDS, 0)
    samples: list[str] = []
    first = last = None
    for line in lines:
        result = json.loads(line)
        path = urllib.parse.urlsplit(result["url"]).path or "/"
        kind = classify(result["method"], path)
        location = ((result.get("headers") or {}).get("Location") or [""])[0]
        latencies[kind].append(result["latency"] / 1e6)
        if result["error"] or not expected(kind, result["code"], location):
            errors[kind] += 1
            if len(samples) < 5:
                samples.append(
                    f"{result['method']} {path}: {result['code']} {location} {result['error']}".strip()
                )
        stamp = result["timestamp"]
        first = stamp if first is None else min(first, stamp)
        last = stamp if last is None else max(last, stamp)
    everything = [value for values in latencies.values() for value in values]
    by_kind = {kind: _latency(values, errors[kind]) for kind, values in latencies.items() if values}
    return OpenLoop(
        label=label,
        rate=rate,
        duration_s=duration,
        achieved_rps=len(everything) / duration,
        overall=_latency(everything, sum(errors.values())),
        by_kind=by_kind,
        error_samples=samples,
    )


def attack(
    site: str,
    listed: list[Request],
    *,
    rate: float,
    duration: float,
    work: Path,
    label: str,
    ca_file: Path | None = None,
) -> OpenLoop:
    """vegeta at `rate` requests per second for `duration` seconds through the listed requests; over
    HTTPS it verifies the site's certificate against ca_file (the native stack's local CA)."""
    binary = vegeta()
    slug = "".join(c if c.isalnum() else "-" for c in label)
    targets = write_vegeta_targets(work / f"{slug}.targets", site, listed)
    results = work / f"{slug}.bin"
    _run(
        [
            binary,
            "attack",
            "-format=json",
            f"-targets={targets}",
            f"-rate={rate:g}/1s",
            f"-duration={duration:g}s",
            "-timeout=10s",
            # A form's answer is a redirect: checked here, never followed.
            "-redirects=-1",
            "-max-body=0",
            f"-name={slug}",
            f"-output={results}",
            *([f"-root-certs={ca_file}"] if ca_file else []),
        ]
    )
    encoded = _run([binary, "encode", "--to", "json", str(results)])
    return summarize(encoded.splitlines(), label, rate, duration)


def _run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"bench-social: `vegeta {command[1]}` failed:\n{result.stderr[-2000:]}")
    return result.stdout
