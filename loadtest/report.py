"""The scaling benchmark's report: a markdown table, the targets met or missed, and PNG charts."""

from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from loadtest.profile import OBSERVABILITY, Profile
from loadtest.social_measure import SOCIAL_PATH


def _by(scaling, path: str, light: bool = False) -> dict:
    rows = [m for m in scaling if m.path == path]
    chosen = {}
    for m in rows:
        heavier = m.replicas not in chosen or m.connections > chosen[m.replicas].connections
        lighter = m.replicas not in chosen or m.connections < chosen[m.replicas].connections
        if lighter if light else heavier:
            chosen[m.replicas] = m
    return dict(sorted(chosen.items()))


def line_chart(
    path: Path,
    xs: list[int],
    series: dict[str, list[float]],
    ylabel: str,
    title: str,
    xlabel: str = "web replicas (1 worker each)",
    log_x: bool = False,
) -> str:
    figure, axis = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        axis.plot(xs, values, marker="o", label=label)
    axis.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if log_x:  # sizes a decade apart (symlog: a 0 stays on the axis)
        axis.set_xscale("symlog", linthresh=1)
    axis.set_xticks(xs, [f"{x:,}" for x in xs])
    axis.set_ylim(bottom=0)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path.name


def _charts(out: Path, timeline: dict, ceiling: dict, social: dict) -> list[str]:
    replicas = list(timeline)
    throughput = {
        "timeline /explore/": [timeline[r].rps for r in replicas],
        "ceiling /healthz": [ceiling[r].rps for r in replicas],
    }
    if set(social) == set(replicas):
        throughput["social mix (logged in)"] = [social[r].rps for r in replicas]
    latency = {
        label: [getattr(timeline[r], attribute) for r in replicas]
        for label, attribute in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))
    }
    return [
        line_chart(out / "rps.png", replicas, throughput, "requests per second", "Throughput by replicas"),
        line_chart(out / "latency.png", replicas, latency, "latency (ms)", "Timeline latency by replicas"),
    ]


def verdict(ok: bool, text: str, shortfall: str = "") -> str:
    return f"- {'met' if ok else '**missed**'}: {text}" + ("" if ok or not shortfall else f" ({shortfall})")


def _time_section(profiles: dict[str, Profile], settings: dict) -> list[str]:
    """Where the time goes: areas per profile, the top functions, and what observability adds."""
    names = list(profiles)
    lines = [
        "",
        "## Where the time goes",
        "",
        f"py-spy sampled web-0's gunicorn worker for {settings['profile_seconds']:g} s at "
        f"{settings['profile_rate']} Hz while wrk loaded the timeline at {settings['profile_replicas']} "
        "replicas, in a pass after the measurements (py-spy pauses the worker for each sample). Only "
        "the thread holding the GIL is sampled, so samples measure the wall time the worker ran Python "
        "(with every core busy, that includes moments the OS ran another process). A sample "
        "counts for the area of its innermost frame in a known package (the standard library, asgiref "
        "and django.utils count for their caller); *total* counts it for every area on its stack, so a "
        "wrapper such as a middleware includes what it calls. ms/request divides by the requests the "
        "worker served (its share of wrk's: nginx balances round-robin).",
        "",
        "Flamegraphs: "
        + ", ".join(f"[{name}](profile-{name}.svg)" for name in names)
        + "; the collapsed stacks (`profile-*.collapsed.gz`, for speedscope or flamegraph.pl after "
        "gunzip) and text summaries (`profile-*.txt`) are beside them.",
        "",
        "| area | " + " | ".join(f"{n} self | {n} total | {n} ms/request" for n in names) + " |",
        "| --- |" + " ---: | ---: | ---: |" * len(names),
    ]
    first = profiles[names[0]]
    areas = [area for p in profiles.values() for area, _ in p.areas_self.most_common()]
    for area in dict.fromkeys(areas):
        cells = [
            f"{p.share(p.areas_self[area]):.1%} | {p.share(p.areas_total[area]):.1%} "
            f"| {p.ms_per_request(p.areas_self[area]):.2f}"
            for p in profiles.values()
        ]
        lines.append(f"| {area} | " + " | ".join(cells) + " |")
    cells = [f"100% | | {p.ms_per_request(p.samples):.2f}" for p in profiles.values()]
    lines += ["| **all** | " + " | ".join(cells) + " |", ""]
    lines.append(f"Top functions by self samples ({names[0]}):")
    lines += ["", *(f"- {first.share(n):.1%} {name}" for name, n in first.functions_self.most_common(8))]
    if {"obs-on", "obs-off"} <= set(profiles):
        on, off = profiles["obs-on"], profiles["obs-off"]
        extra = on.ms_per_request(on.samples) - off.ms_per_request(off.samples)
        by_area = ", ".join(
            f"{area} {on.ms_per_request(on.areas_self[area]) - off.ms_per_request(off.areas_self[area]):+.2f}"
            for area in OBSERVABILITY
            if on.areas_self[area] or off.areas_self[area]
        )
        lines += [
            "",
            f"With observability on, the worker runs {extra:.2f} ms more Python per request "
            f"({on.ms_per_request(on.samples):.2f} vs {off.ms_per_request(off.samples):.2f} ms); by area, "
            f"{by_area} ms. The observability components that differ most, by self time (ms per request):",
            "",
            "| component | area | on | off | on − off |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        keys = {key for p in (on, off) for key in p.components if key[0] in OBSERVABILITY}
        rows = [(on.ms_per_request(on.components[k]), off.ms_per_request(off.components[k]), k) for k in keys]
        for a, b, (area, component) in sorted(rows, key=lambda row: abs(row[0] - row[1]), reverse=True)[:12]:
            lines.append(f"| {component} | {area} | {a:.2f} | {b:.2f} | {a - b:+.2f} |")
    return lines


def write_report(
    out: Path, *, scaling, overhead, settings, machine, versions, started: datetime, profiles=None
) -> Path:
    timeline, ceiling = _by(scaling, "/explore/"), _by(scaling, "/healthz")
    light = _by(scaling, "/explore/", light=True)
    social = _by(scaling, SOCIAL_PATH)
    charts = _charts(out, timeline, ceiling, social)
    base = timeline[min(timeline)].rps
    lines = [
        f"# Scaling benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine['cores']} cores, {machine['memory_gib']} GiB, {machine['cpu']}, "
        f"kernel {machine['kernel']}.",
        "Versions: " + ", ".join(f"{name} {value}" for name, value in versions.items()) + ".",
        f"Load: wrk, {settings['connections']} connections, {settings['duration_s']:g} s per measurement, "
        f"{settings['tweets']} tweets seeded, {settings['workers_per_replica']} gunicorn worker per replica; "
        "everything (load generator included) on the same machine.",
        "",
        "| replicas | timeline req/s | p50 ms | p95 ms | p99 ms | errors | CPU per replica | ceiling req/s "
        "| timeline / ceiling | × 1 replica | light load req/s (p99 ms) | social mix req/s (p99 ms) "
        "| social / ceiling |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r, m in timeline.items():
        c, low, mix = ceiling[r], light[r], social.get(r)
        mixed = f"{mix.rps:.1f} ({mix.p99_ms:.1f}) | {mix.rps / c.rps:.0%}" if mix else "not measured | "
        lines.append(
            f"| {r} | {m.rps:.1f} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.p99_ms:.1f} "
            f"| {m.errors + c.errors + (mix.errors if mix else 0)} "
            f"| {m.cpu_per_replica:.0f}% | {c.rps:.1f} | {m.rps / c.rps:.0%} | {m.rps / base:.2f} "
            f"| {low.rps:.1f} ({low.p99_ms:.1f}) | {mixed} |"
        )
    if social:
        lines += [
            "",
            f"The social mix: {settings.get('social_users', 0):,} users and "
            f"{settings.get('social_tweets', 0):,} tweets (loadtest/social_graph.py), logged-in sessions, "
            "60% Home, 30% profiles, 10% posts (`make bench-social` measures it at scale).",
        ]
    lines += ["", *(f"![{name}]({name})" for name in charts), "", "## Targets", ""]
    best = max(timeline.values(), key=lambda m: m.rps)
    ratio = best.rps / ceiling[best.replicas].rps
    lines.append(
        verdict(
            ratio >= 0.4,
            f"timeline ≥ 40% of the ceiling: {ratio:.1%} at {best.replicas} replicas",
            f"{40 - 100 * ratio:.1f} points short: "
            f"{0.4 * ceiling[best.replicas].rps - best.rps:.0f} req/s more needed",
        )
    )
    low = light[best.replicas]
    lines.append(
        verdict(
            low.p99_ms < 100,
            f"p99 < 100 ms at lighter load: {low.p99_ms:.1f} ms at {low.rps:.0f} req/s "
            f"({low.rps / best.rps:.0%} of the maximum; wrk is closed-loop, so the load is set by "
            f"{low.connections} connections, not an exact half)",
        )
    )
    errors = sum(m.errors for m in scaling)
    lines.append(verdict(errors == 0, f"zero errors at every replica count: {errors} errors"))
    if 2 in timeline and 1 in timeline:
        speedup = timeline[2].rps / timeline[1].rps
        lines.append(verdict(speedup >= 1.6, f"2 replicas ≥ 1.6× one replica: {speedup:.2f}×"))
    if overhead:
        on, off = overhead[:2]
        cost = 1 - on.rps / off.rps
        lines += [
            "",
            "## Observability on vs off",
            "",
            f"Same load at {on.replicas} replicas; off means OTEL_SDK_DISABLED=true and "
            "METRICS_ENABLED=false.",
            "",
            "| observability | req/s | p50 ms | p99 ms |",
            "| --- | ---: | ---: | ---: |",
            f"| on | {on.rps:.1f} | {on.p50_ms:.1f} | {on.p99_ms:.1f} |",
            f"| off | {off.rps:.1f} | {off.p50_ms:.1f} | {off.p99_ms:.1f} |",
            *(
                f"| {label}, social mix | {m.rps:.1f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} |"
                for label, m in zip(("on", "off"), overhead[2:], strict=False)
            ),
            "",
            verdict(
                cost <= 0.10,
                f"overhead ≤ 10% of req/s: {cost:.1%}",
                f"{100 * cost - 10:.1f} points over: on needs {0.9 * off.rps - on.rps:.0f} req/s more",
            ),
        ]
    if profiles:
        lines += _time_section(profiles, settings)
    lines += ["", "Raw numbers: [results.json](results.json)."]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report
