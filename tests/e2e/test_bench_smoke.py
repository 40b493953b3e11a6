"""A few seconds of the scaling benchmark's measurements on the session's stack: no errors, report written.

The full `make bench-scale` also starts and stops the stack per replica count, which the stack
fixture already exercises; only one native stack can run at a time (the alert webhook port).
"""

from datetime import UTC, datetime

from loadtest import bench_scale
from loadtest.report import write_report


def test_a_short_benchmark_has_no_errors_and_writes_its_report(stack, tmp_path):
    bench_scale.seed(stack.env, 300)
    results = bench_scale.measure_running(stack.env, replicas=2, connections=4, duration=2)
    assert [m.path for m in results] == ["/explore/", "/healthz", "/explore/"]
    assert all(m.errors == 0 and m.requests > 0 for m in results), results
    assert all(m.cpu_per_replica > 0 for m in results)
    report = write_report(
        tmp_path,
        scaling=results,
        overhead=[],
        settings={"tweets": 300, "connections": 4, "duration_s": 2, "workers_per_replica": 2},
        machine=bench_scale.machine(),
        versions=bench_scale.versions(),
        started=datetime.now(UTC),
    )
    text = report.read_text()
    assert "| 2 |" in text and "timeline ≥ 40% of the ceiling" in text
    assert (tmp_path / "rps.png").stat().st_size > 1000 and (tmp_path / "latency.png").stat().st_size > 1000
