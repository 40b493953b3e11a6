"""Where a worker's time goes: py-spy's collapsed stacks, grouped by area of the stack and by function.

py-spy samples only the thread holding the GIL (`--gil`), so samples / rate is the wall time the
worker ran Python code (held the GIL, whether or not the OS had it on a core). Each sample belongs to
one area: that of the innermost frame whose file is in a known package (a frame in the standard
library, asgiref or django.utils counts for its caller).
"""

import gzip
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# First match wins, so the more specific prefixes come first (otel's Django middleware lives
# under opentelemetry/, django-prometheus' database wrappers under django_prometheus/).
AREAS = {
    "OpenTelemetry": ("opentelemetry/",),
    "Prometheus metrics": (
        "django_prometheus/",
        "prometheus_client/",
        "app/observability/metrics.py",
        "app/accounts/metrics.py",
        "app/notifications/metrics.py",
        "app/tweets/metrics.py",
        "app/web/metrics.py",
        "app/observability/prometheus.py",
        "app/observability/exemplars.py",
    ),
    "structlog logging": ("structlog/", "django_structlog/", "stdlib/logging/", "app/observability/logs.py"),
    "Sentry": ("sentry_sdk/",),
    "template rendering": ("django/template/", "django/templatetags/"),
    "psycopg": ("psycopg/", "psycopg_binary/"),
    "ORM/SQL": ("django/db/",),
    "Redis/cache": ("redis/", "django_redis/", "django/core/cache/", "app/tweets/timeline_cache.py"),
    "middleware": (
        "django/middleware/",
        "django/contrib/",
        "django/utils/deprecation.py",
        "whitenoise/",
        "app/observability/middleware.py",
    ),
    "Django request handling": ("django/core/handlers/", "django/urls/", "django/http/", "django/views/"),
    "app code": ("app/",),
    "gunicorn": ("gunicorn/",),
}
OTHER = "other (interpreter, threads)"
OBSERVABILITY = ("OpenTelemetry", "Prometheus metrics", "structlog logging", "Sentry")


def short_path(path: str) -> str:
    """A frame's file relative to its package root: site-packages, the standard library or the repo."""
    if not path.startswith("/"):  # already short
        return path
    if "/site-packages/" in path:
        return path.rsplit("/site-packages/", 1)[1]
    if "/lib/python3." in path:
        return "stdlib/" + path.rsplit("/lib/python3.", 1)[1].split("/", 1)[-1]
    if "/app/" in path:
        return "app/" + path.rsplit("/app/", 1)[1]
    return path


def parse_frame(frame: str) -> tuple[str, str]:
    """`function (path)` as py-spy writes it with --nolineno: the function and the short path."""
    function, _, path = frame.rpartition(" (")
    return function, short_path(path.rstrip(")"))


def area_of(path: str) -> str | None:
    return next((area for area, prefixes in AREAS.items() if path.startswith(prefixes)), None)


@dataclass
class Profile:
    rate: int  # samples per second
    requests: float  # requests the sampled worker served meanwhile (0 if unknown)
    samples: int = 0
    areas_self: Counter = field(default_factory=Counter)
    areas_total: Counter = field(default_factory=Counter)
    functions_self: Counter = field(default_factory=Counter)
    functions_total: Counter = field(default_factory=Counter)
    # Area and the first three parts of the innermost known frame's path, e.g. opentelemetry/sdk/trace.
    components: Counter = field(default_factory=Counter)

    def ms_per_request(self, samples: int) -> float:
        return samples * 1000 / self.rate / self.requests if self.requests else 0.0

    def share(self, samples: int) -> float:
        return samples / self.samples if self.samples else 0.0


def read_stacks(path: Path) -> Counter:
    """Collapsed stacks (`frame;frame;... count` per line, root first) as {tuple of frames: samples}."""
    stacks = Counter()
    with open_text(path, "r") as file:
        for line in file:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if stack:
                stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def write_stacks(stacks: Counter, path: Path) -> Path:
    """Collapsed stacks with package-relative paths: a third of the size, and no folders of this machine."""
    lines = [
        ";".join("{} ({})".format(*parse_frame(frame)) for frame in frames) + f" {count}"
        for frames, count in stacks.items()
    ]
    with open_text(path, "w") as file:
        file.write("\n".join(lines) + "\n")
    return path


def open_text(path: Path, mode: str):
    """A text file, gzip-compressed when its name ends in .gz (collapsed stacks shrink about 25 times)."""
    return gzip.open(path, mode + "t") if path.suffix == ".gz" else path.open(mode)


def aggregate(stacks: Counter, *, rate: int, requests: float) -> Profile:
    profile = Profile(rate=rate, requests=requests)
    for frames, count in stacks.items():
        parsed = [parse_frame(frame) for frame in frames]
        names = [f"{function} ({path})" for function, path in parsed]
        areas = [area_of(path) for _, path in parsed]
        innermost = next((i for i in reversed(range(len(areas))) if areas[i]), None)
        area = OTHER if innermost is None else areas[innermost]
        profile.samples += count
        profile.areas_self[area] += count
        profile.areas_total.update(dict.fromkeys({a for a in areas if a} | {area}, count))
        profile.functions_self[names[-1]] += count
        profile.functions_total.update(dict.fromkeys(set(names), count))
        component = "" if innermost is None else "/".join(parsed[innermost][1].split("/")[:3])
        profile.components[(area, component)] += count
    return profile


def record(pid: int, seconds: float, output: Path, rate: int = 100) -> Path:
    """Sample a running process with py-spy into collapsed stacks; py-spy pauses it for each sample."""
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid)]
    command += ["--duration", f"{max(1, round(seconds))}", "--rate", str(rate), "--format", "raw"]
    command += ["--gil", "--nolineno", "--full-filenames", "--output", str(output)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return output


def summary(profile: Profile, title: str, top: int = 12) -> str:
    """The text summary saved next to the flamegraph: areas, then the top functions, self and total."""
    lines = [
        title,
        f"{profile.samples} samples at {profile.rate} Hz of the thread holding the GIL, "
        f"~{profile.requests:.0f} requests: {profile.ms_per_request(profile.samples):.2f} ms of Python "
        "per request",
        "",
        f"{'area':32} {'self':>7} {'total':>7} {'self ms/req':>12}",
    ]
    for area, count in profile.areas_self.most_common():
        lines.append(
            f"{area:32} {profile.share(count):7.1%} {profile.share(profile.areas_total[area]):7.1%} "
            f"{profile.ms_per_request(count):12.2f}"
        )
    lines += ["", "observability components (self)"]
    for (area, component), count in profile.components.most_common():
        if area in OBSERVABILITY:
            lines.append(f"{profile.share(count):7.1%} {profile.ms_per_request(count):7.2f} ms  {component}")
    for heading, counter in (("self", profile.functions_self), ("total", profile.functions_total)):
        lines += ["", f"top functions by {heading} samples"]
        lines += [f"{profile.share(count):7.1%}  {name}" for name, count in counter.most_common(top)]
    return "\n".join(lines) + "\n"
