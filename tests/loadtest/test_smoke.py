"""A few seconds of the real load test against a real gunicorn: no errors, stats written."""

import subprocess
import sys

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
    assert stats["requests"] > 10
    assert stats["failures"] == 0, (out / "locust_failures.csv").read_text()
    names = {row["Name"] for row in stats["endpoints"]}
    assert "/explore/" in names and "/accounts/signup/" in names
