"""Seconds of the social benchmark on the session's stack: a small graph loaded through COPY and the
app's timeline rebuild, both mixes driven by wrk and vegeta from prepared sessions, posts by fan-out
authors; zero errors and the report written.

`make bench-social` starts a stack of its own with the rate limits raised; the session's stack keeps
the defaults, so this smoke stays well under them (a few dozen posts from 127.0.0.1, the per-IP limit
being 120 a minute): wrk on 2 connections for 2 s per mix, vegeta at 10 requests a second.
"""

import os
from datetime import UTC, datetime

from loadtest import bench_scale, open_loop, social_measure
from loadtest.social_graph import Graph
from loadtest.social_mix import MIXES
from loadtest.social_report import write_report

SECONDS = 2


def test_a_short_social_benchmark_has_no_errors_and_writes_its_report(stack, tmp_path):
    load_at_start = os.getloadavg()[0]
    graph = Graph(200, 5000)
    work = tmp_path / "work"
    work.mkdir()
    prepared, timings = social_measure.prepare(stack.env, graph, sessions=50, fanout=[0, 100], work=work)
    assert len(prepared.sessions) == 50 and set(prepared.fanout) == {0, 100}
    ceiling, closed, opened = social_measure.measure(
        stack.env,
        graph,
        prepared,
        replicas=2,
        connections=2,
        seconds=SECONDS,
        rate=10,
        mixes=list(MIXES),
        work=work,
    )
    posts = social_measure.measure_fanout(
        stack.env, 2, prepared, threshold=prepared.fanout_threshold, rate=2, seconds=SECONDS, work=work
    )
    assert ceiling.errors == 0 and all(m.errors == 0 and m.requests > 0 for m in closed), closed
    assert all(r.errors == 0 for r in opened + [p.result for p in posts]), [r.error_samples for r in opened]
    # Every request type of each mix was sent and answered as a logged-in user's.
    assert [sorted(r.by_kind) for r in opened] == [sorted(weights) for weights in MIXES.values()]
    assert all(p.result.overall.requests == 2 * SECONDS for p in posts)
    # The timelines were built before the load: reads are served from their Redis sets.
    assert all(r.redis_commands_per_request > 0 and r.timeline_hit_ratio > 0.5 for r in opened), opened
    # pg_stat_statements counts what each request costs in SQL.
    assert all(r.sql_statements_per_request > 0 for r in opened + [p.result for p in posts]), opened
    # The observability measurement as the stack runs (make bench-social restarts it per setting):
    # the timelines rebuilt by the loader first, then served from Redis again.
    social_measure.rebuild_timelines(stack.env)
    observed = social_measure.observed(
        stack.env,
        graph,
        prepared,
        "as configured",
        replicas=2,
        connections=2,
        seconds=SECONDS,
        rate=10,
        work=work,
    )
    assert observed.closed.errors == 0 and observed.open.errors == 0, observed.open.error_samples
    assert observed.open.timeline_hit_ratio > 0.5, observed
    run = social_measure.SocialRun(graph.shape(), timings, ceiling, closed, opened, posts, [observed])
    report = write_report(
        tmp_path,
        run=run,
        growth=[],
        settings={
            "replicas": 2,
            "load_average": (load_at_start, os.getloadavg()[0]),
            "workers_per_replica": 2,
            "connections": 2,
            "duration_s": SECONDS,
            "sessions": 50,
            "rate_limits": {"RATELIMIT_*": "the defaults"},
        },
        machine=bench_scale.machine(),
        versions={"vegeta": open_loop.version()},
        started=datetime.now(UTC),
    )
    text = report.read_text()
    assert "Smoke-size run, not the benchmark" in text and "met: zero errors: 0" in text
    assert "| social |" in text and "| 100 | fan-out on write |" in text
    assert "## What observability costs" in text and "| as configured |" in text
    assert all((tmp_path / name).stat().st_size > 1000 for name in ("social-rps.png", "social-latency.png"))
