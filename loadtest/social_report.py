"""The social benchmark's report (`make bench-social`): markdown tables, the targets met or missed, PNG
charts, the same way the scaling report is written (loadtest/report.py)."""

from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from loadtest.report import line_chart, verdict

# Below this the graph is a smoke test's, and the report says its numbers are not the benchmark's.
BENCHMARK_USERS, BENCHMARK_TWEETS = 10_000, 1_000_000
KIND_NAMES = {
    "home": "home timeline (GET /)",
    "user": "user timeline (GET /@name)",
    "post": "post (POST /tweets/)",
    "like": "like (POST /tweets/N/like/)",
    "reply": "reply (POST /tweets/N/reply/)",
    "repost": "repost (POST /tweets/N/repost/)",
    "follow": "follow (POST /@name/follow)",
}


def _latency_chart(out: Path, opened) -> str:
    """p50/p95/p99 per request type of each mix at its fixed rate, as grouped bars."""
    rows = [(result.label, kind, stats) for result in opened for kind, stats in result.by_kind.items()]
    figure, axis = plt.subplots(figsize=(10, 4))
    positions = range(len(rows))
    for offset, (name, attribute) in enumerate((("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))):
        axis.bar(
            [p + (offset - 1) * 0.27 for p in positions],
            [getattr(s, attribute) for *_, s in rows],
            0.27,
            label=name,
        )
    axis.set_xticks(
        list(positions), [f"{kind}\n{label.replace('+', '+ ')}" for label, kind, _ in rows], fontsize=7
    )
    axis.set(ylabel="latency (ms)", title="Open-loop latency per request type")
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "social-latency.png", dpi=110)
    plt.close(figure)
    return "social-latency.png"


def _throughput_chart(out: Path, run) -> str:
    labels = ["ceiling /healthz", *(m.label for m in run.closed)]
    values = [run.ceiling.rps, *(m.rps for m in run.closed)]
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.bar(labels, values, color=["grey", *["tab:blue"] * len(run.closed)])
    axis.set(ylabel="requests per second", title="Closed-loop maximum (wrk) and the ceiling")
    axis.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    figure.savefig(out / "social-rps.png", dpi=110)
    plt.close(figure)
    return "social-rps.png"


def _header(run, settings, machine, versions, started: datetime) -> list[str]:
    graph = run.graph
    lines = [f"# Social workload benchmark, {started:%Y-%m-%d %H:%M} UTC", ""]
    if graph["users"] < BENCHMARK_USERS or graph["tweets"] < BENCHMARK_TWEETS:
        lines += [
            f"> **Smoke-size run, not the benchmark**: {graph['users']:,} users and "
            f"{graph['tweets']:,} tweets (the benchmark is at least {BENCHMARK_USERS:,} and "
            f"{BENCHMARK_TWEETS:,}), seconds of load. "
            "It proves the harness works; its numbers say nothing about the targets.",
            "",
        ]
    lines += [
        f"Machine: {machine['cores']} cores, {machine['memory_gib']} GiB, {machine['cpu']}, "
        f"kernel {machine['kernel']}.",
        "Versions: " + ", ".join(f"{name} {value}" for name, value in versions.items()) + ".",
        f"Stack: the native stack, {settings['replicas']} web replicas × {settings['workers_per_replica']} "
        "gunicorn worker(s); everything (load "
        "generators included) on the same machine. Post and like rate limits raised for the run "
        f"({', '.join(f'{k}={v}' for k, v in settings['rate_limits'].items())}).",
        # Other work on the same cores costs throughput and latency that are not the app's.
        f"Load average (1 min) at the start and the end: {settings['load_average'][0]:.1f} and "
        f"{settings['load_average'][1]:.1f} (above {machine['cores']}, the cores' count, other work was "
        "waiting for the CPU too).",
        f"Graph (seed {graph['seed']}): {graph['users']:,} users, {graph['tweets']:,} tweets, "
        f"{graph['follows']:,} follows (mean {graph['mean_following']:.1f} per user); power-law followers: "
        "the top account is "
        f"followed by {graph['top_account_followed_by']:.0%} of users ({graph['max_followers']:,}), "
        f"the median account by {graph['median_followers']}, and the top 1% of accounts hold "
        f"{graph['top_1pct_share_of_follows']:.0%} of all follows.",
        "Loaded with COPY in {copy_s:.1f} s; every Home and user timeline built through the app's read "
        "path in {timelines_s:.1f} s; {sessions} logged-in sessions prepared in advance.".format(
            sessions=settings["sessions"], **run.timings
        ),
        "",
    ]
    return lines


def _throughput(run, settings) -> list[str]:
    ceiling = run.ceiling
    lines = [
        "## Throughput: closed-loop maximum",
        "",
        f"wrk, {ceiling.connections} connections, {settings['duration_s']:g} s each: every mix and the "
        "ceiling (/healthz, a fixed answer through the same nginx) measured in the same run.",
        "",
        "| load | req/s | p50 ms | p95 ms | p99 ms | errors | share of the ceiling |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| ceiling /healthz | {ceiling.rps:.1f} | {ceiling.p50_ms:.1f} | {ceiling.p95_ms:.1f} "
        f"| {ceiling.p99_ms:.1f} | {ceiling.errors} | 100% |",
    ]
    for m in run.closed:
        lines.append(
            f"| {m.label} | {m.rps:.1f} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.p99_ms:.1f} | {m.errors} "
            f"| {m.rps / ceiling.rps:.1%} |"
        )
    return [*lines, ""]


def _share(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def _open_table(results, first_column: str) -> list[str]:
    lines = [
        f"| {first_column} | rate /s | achieved req/s | type | requests | errors | p50 ms | p95 ms | p99 ms "
        "| CPU ms/request | SQL statements/request | Redis commands/request | timeline cache hits |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        o = result.overall
        lines.append(
            f"| {result.label} | {result.rate:g} | {result.achieved_rps:.1f} | **all** | {o.requests} "
            f"| {o.errors} | {o.p50_ms:.1f} | {o.p95_ms:.1f} | {o.p99_ms:.1f} "
            f"| {result.cpu_ms_per_request:.1f} | {result.sql_statements_per_request:.1f} "
            f"| {result.redis_commands_per_request:.1f} | {_share(result.timeline_hit_ratio)} |"
        )
        if len(result.by_kind) > 1:
            for kind, s in result.by_kind.items():
                lines.append(
                    f"| | | | {KIND_NAMES[kind]} | {s.requests} | {s.errors} | {s.p50_ms:.1f} "
                    f"| {s.p95_ms:.1f} | {s.p99_ms:.1f} | | | | |"
                )
    return lines


def _fanout(run) -> list[str]:
    if not run.fanout:
        return []
    lines = [
        "## Fan-out: a post's latency by its author's followers",
        "",
        "Posts by one author at a fixed rate (vegeta); an author at or under TIMELINE_FANOUT_MAX_FOLLOWERS "
        "is written into every follower's Home at post time, one above it is merged into Home at read time.",
        "",
        "| followers | timelines | posts | errors | p50 ms | p95 ms | p99 ms | CPU ms/post "
        "| SQL statements/post | Redis commands/post |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for post in run.fanout:
        o = post.result.overall
        how = "fan-out on write" if post.fanned_out else "merged at read"
        lines.append(
            f"| {post.followers:,} | {how} | {o.requests} | {o.errors} | {o.p50_ms:.1f} | {o.p95_ms:.1f} "
            f"| {o.p99_ms:.1f} | {post.result.cpu_ms_per_request:.1f} "
            f"| {post.result.sql_statements_per_request:.1f} | {post.result.redis_commands_per_request:.1f} |"
        )
    return [*lines, ""]


def _observability(run) -> list[str]:
    if not run.observability:
        return []
    off = run.observability[0]
    base_cpu = off.open.cpu_ms_per_request or 1
    lines = [
        "## What observability costs",
        "",
        "The social mix on the same data, the stack restarted with each setting, Redis saved before and "
        "loaded at the restart: the closed-loop maximum (wrk), then the latency and CPU per request at "
        f"one fixed rate (vegeta). Compared with the first row ({off.label}).",
        "",
        "| setting | max req/s | max vs first | rate /s | errors | p50 ms | p99 ms | CPU ms/request "
        "| CPU vs first |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for o in run.observability:
        r = o.open
        lines.append(
            f"| {o.label} | {o.closed.rps:.1f} | {o.closed.rps / off.closed.rps - 1:+.1%} | {r.rate:g} "
            f"| {r.errors + o.closed.errors} | {r.overall.p50_ms:.1f} | {r.overall.p99_ms:.1f} "
            f"| {r.cpu_ms_per_request:.1f} | {r.cpu_ms_per_request / base_cpu - 1:+.1%} |"
        )
    return [*lines, ""]


def _growth(growth) -> list[str]:
    if not growth:
        return [
            "## Growth curve",
            "",
            "Not measured in this run (`make bench-social GROWTH=1`: 1k, 10k and 100k users, a fresh "
            "stack each).",
            "",
        ]
    base = growth[0][1].cpu_ms_per_request or 1
    lines = [
        "## Growth curve",
        "",
        "The social mix at one fixed rate on a fresh stack per size, tweets in proportion to users. Only "
        "the logged-in readers' timelines are prepared (as only active users' sets live in Redis); any "
        "other profile's is built by its first view, so the hit ratio falls as the graph grows.",
        "",
        "| users | tweets | rate /s | achieved req/s | errors | p50 ms | p95 ms | p99 ms | CPU ms/request "
        "| × smallest | SQL statements/request | Redis commands/request | timeline cache hits |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for shape, r in growth:
        o = r.overall
        lines.append(
            f"| {shape['users']:,} | {shape['tweets']:,} | {r.rate:g} | {r.achieved_rps:.1f} | {o.errors} "
            f"| {o.p50_ms:.1f} | {o.p95_ms:.1f} | {o.p99_ms:.1f} | {r.cpu_ms_per_request:.1f} "
            f"| {r.cpu_ms_per_request / base:.2f} | {r.sql_statements_per_request:.1f} "
            f"| {r.redis_commands_per_request:.1f} | {_share(r.timeline_hit_ratio)} |"
        )
    return [*lines, ""]


def _targets(run, growth) -> list[str]:
    lines = ["## Targets", ""]
    social = next((m for m in run.closed if m.label == "social"), None)
    if social:
        share = social.rps / run.ceiling.rps
        lines.append(
            verdict(
                share >= 0.35,
                f"social mix ≥ 35% of the ceiling: {share:.1%}",
                f"{35 - 100 * share:.1f} points short: "
                f"{0.35 * run.ceiling.rps - social.rps:.0f} req/s more needed",
            )
        )
    for result in run.open:
        maximum = next(m for m in run.closed if m.label == result.label)
        p99 = result.overall.p99_ms
        lines.append(
            verdict(
                p99 < 100,
                f"{result.label}: p99 < 100 ms open-loop at {result.rate:g}/s "
                f"({result.rate / maximum.rps:.0%} of the maximum): {p99:.1f} ms",
                f"{p99 - 100:.1f} ms over",
            )
        )
    errors = (
        run.ceiling.errors
        + sum(m.errors for m in run.closed)
        + sum(r.errors for r in run.open)
        + sum(p.result.errors for p in run.fanout)
        + sum(r.errors for _, r in growth)
    )
    errors += sum(o.open.errors + o.closed.errors for o in run.observability)
    lines.append(verdict(errors == 0, f"zero errors: {errors}"))
    for post in run.fanout:
        if post.followers <= 10_000:
            p99 = post.result.overall.p99_ms
            lines.append(
                verdict(
                    p99 < 50,
                    f"post p99 < 50 ms at {post.followers:,} followers: {p99:.1f} ms",
                    f"{p99 - 50:.1f} ms over",
                )
            )
    if len(run.observability) > 1:
        off = run.observability[0].open.cpu_ms_per_request or 1
        for o in run.observability[1:]:
            overhead = o.open.cpu_ms_per_request / off - 1
            lines.append(
                verdict(
                    overhead <= 0.1,
                    f"observability overhead ≤ 10% ({o.label}): CPU per request {overhead:+.0%}",
                    f"{100 * overhead - 10:.0f} points over",
                )
            )
    if len(growth) > 1:
        costs = [r.cpu_ms_per_request for _, r in growth]
        spread = max(costs) / min(costs) - 1 if min(costs) else float("inf")
        lines.append(
            verdict(
                spread <= 0.2,
                f"CPU per request within ±20% across sizes: {spread:.0%} apart",
                f"{100 * spread - 20:.0f} points over",
            )
        )
    return [*lines, ""]


def write_report(out: Path, *, run, growth, settings, machine, versions, started: datetime) -> Path:
    charts = [_throughput_chart(out, run), _latency_chart(out, run.open)]
    if growth:
        users = [shape["users"] for shape, _ in growth]
        series = {
            "p50 ms": [r.overall.p50_ms for _, r in growth],
            "p99 ms": [r.overall.p99_ms for _, r in growth],
            "CPU ms/request": [r.cpu_ms_per_request for _, r in growth],
        }
        charts.append(
            line_chart(
                out / "social-growth.png",
                users,
                series,
                "ms",
                "Cost of a request by size",
                "users",
                log_x=True,
            )
        )
    if run.fanout:
        followers = [post.followers for post in run.fanout]
        series = {
            "p50": [post.result.overall.p50_ms for post in run.fanout],
            "p99": [post.result.overall.p99_ms for post in run.fanout],
        }
        charts.append(
            line_chart(
                out / "social-fanout.png",
                followers,
                series,
                "latency (ms)",
                "Post latency by followers",
                "followers of the author",
                log_x=True,
            )
        )
    lines = _header(run, settings, machine, versions, started)
    lines += _throughput(run, settings)
    lines += [
        "## Latency at a fixed rate (open loop)",
        "",
        f"vegeta, {settings['duration_s']:g} s per mix, at half of the mix's closed-loop maximum unless a "
        "rate was given; a request counts as an error unless it is a read's 200 or a form's redirect home "
        "(post, like) or to the profile (follow): a redirect to the login page is a lost session. CPU is "
        "every replica's.",
        "",
        *_open_table(run.open, "mix"),
        "",
    ]
    samples = [f"- {r.label}: {sample}" for r in run.open for sample in r.error_samples]
    if samples:
        lines += ["Errors seen (first few):", "", *samples, ""]
    lines += _fanout(run)
    lines += _observability(run)
    lines += _growth(growth)
    lines += _targets(run, growth)
    lines += [*(f"![{name}]({name})" for name in charts), "", "Raw numbers: [results.json](results.json)."]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report
