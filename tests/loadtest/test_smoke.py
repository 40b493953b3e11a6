"""A few seconds of the real load test against a real gunicorn: no errors, stats written; and a few
seconds of bench-scale's profile of a worker under load, with its files and report section."""

import subprocess
import sys
from datetime import UTC, datetime

import psutil

from loadtest import bench_scale, profile
from loadtest.report import write_report
from loadtest.run import REPO, summary


def test_a_short_load_test_has_no_errors_and_writes_its_stats(start_gunicorn, tmp_path):
    server = start_gunicorn(RATELIMIT_SIGNUP_IP="1000/m", RATELIMIT_POST_IP="1000/m")
    out = tmp_path / "loadtest"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtest.run",
            "--url",
            server.base,
            "--users",
            "4",
            "--spawn-rate",
            "4",
            "--duration",
            "6s",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "TOTAL" in result.stdout and "req/s" in result.stdout
    for suffix in ("stats.csv", "stats_history.csv", "failures.csv"):
        assert (out / f"locust_{suffix}").is_file()
    stats = summary(out / "locust")
    # On two busy cores, 4 users (signing up with Argon2 first) made as few as 9 requests in 6 s.
    assert stats["requests"] >= 4
    assert stats["failures"] == 0, (out / "locust_failures.csv").read_text()
    names = {row["Name"] for row in stats["endpoints"]}
    assert "/explore/" in names and "/accounts/signup/" in names


def test_profiling_a_worker_under_load_writes_its_files_and_the_report_section(start_gunicorn, tmp_path):
    server = start_gunicorn(WEB_CONCURRENCY="1")
    worker = psutil.Process(server.process.pid).children()[0]
    profiled = {
        name: bench_scale.profile_under_load(
            server.base + "/explore/",
            worker.pid,
            replicas=1,
            connections=2,
            seconds=2,
            out=tmp_path,
            name=name,
        )
        for name in ("obs-on", "obs-off")
    }
    for name in profiled:
        assert profile.read_stacks(tmp_path / f"profile-{name}.collapsed.gz")
        assert "<svg" in (tmp_path / f"profile-{name}.svg").read_text()
        assert "template rendering" in (tmp_path / f"profile-{name}.txt").read_text()
    assert profiled["obs-on"].samples > 10 and profiled["obs-on"].requests > 10

    measured = [
        bench_scale.Measurement(1, path, 2, rps, 5.0, 9.0, 12.0, 0, 100, 90.0)
        for path, rps in (("/explore/", 100.0), ("/healthz", 400.0), ("/explore/", 90.0))
    ]
    settings = {"tweets": 0, "connections": 2, "duration_s": 2, "workers_per_replica": 1}
    settings |= {"profile_seconds": 2, "profile_rate": bench_scale.PROFILE_RATE, "profile_replicas": 1}
    report = write_report(
        tmp_path,
        scaling=measured,
        overhead=[measured[0], measured[0]],
        profiles=profiled,
        settings=settings,
        machine=bench_scale.machine(),
        versions={},
        started=datetime.now(UTC),
    ).read_text()
    assert "## Where the time goes" in report
    assert "| template rendering |" in report and "[obs-on](profile-obs-on.svg)" in report
    assert "The observability components that differ most" in report
    assert "(15.0 points short: 60 req/s more needed)" in report
