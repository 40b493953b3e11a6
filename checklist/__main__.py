"""`python -m checklist` (make checklist): the production readiness checklist against a deployment.

Checks the running deployment (its public URL, its Prometheus, its manage.py) and the repository's
configs; prints one row per item (PASS, WARN, FAIL), what was checked and the fix; exits 1 on any
FAIL. The results are also written where the app's /metrics exposes them as
tweetstack_checklist_item_status{item, category} (0 fail, 1 warn, 2 pass).

Default: the native stack (make stack). For another deployment give --url, --prometheus and --manage,
e.g. for Compose: --manage "docker compose -f docker-compose.yml -f docker-compose.prod.yml run --rm -T backup
python /app/app/manage.py".
"""

import argparse
import json
import re
import shlex
import sys
import tempfile
import time
from pathlib import Path

from checklist import configs
from checklist.core import FAIL, PASS, STATUS_VALUES, WARN, Deployment, Result
from checklist.items import items


def native_defaults() -> dict[str, str]:
    from stack.layout import Stack

    stack = Stack.from_env()
    return {
        "url": stack.site_url(),
        # Its own CA, unless the operator gave a certificate of their own (a public CA's, trusted already).
        "ca_file": "" if stack.tls_cert else str(stack.ca_file),
        "prometheus": stack.url("prometheus"),
        "manage": shlex.join([sys.executable, "-m", "stack", "manage"]),
    }


def alert_threshold(rule_file: str, pattern: str) -> float:
    """A threshold as the alert that watches the same thing writes it, so the two never disagree:
    the first number `pattern` captures in an alert's expression of the parsed rule file."""
    groups = configs.alert_rules().get(rule_file, [])
    expressions = [
        " ".join(rule["expr"].split()) for group in groups for rule in group["rules"] if "alert" in rule
    ]
    for expression in expressions:
        if match := re.search(pattern, expression):
            return float(match.group(1))
    raise SystemExit(f"checklist: no alert of monitoring/prometheus/rules/{rule_file} matches /{pattern}/")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m checklist", description=__doc__.split("\n\n")[0])
    _deployment_arguments(parser)
    _schedule_and_threshold_arguments(parser)
    arguments = parser.parse_args(argv)
    if arguments.healthcheck:
        return arguments
    if arguments.scheduled and arguments.no_record:
        parser.error("--scheduled exports the results: it cannot be given with --no-record")
    # The native stack's addresses only where none was given: a deployment elsewhere (a container
    # of Compose or Terraform) has no native stack to read them from.
    if None in (arguments.url, arguments.prometheus, arguments.manage):
        for key, value in native_defaults().items():
            if getattr(arguments, key) is None:
                setattr(arguments, key, value)
    return arguments


def _deployment_arguments(parser: argparse.ArgumentParser) -> None:
    """Which deployment: its site, Prometheus and manage.py (default: the native stack's)."""
    parser.add_argument("--url", help="the public site (default: the native stack's nginx)")
    parser.add_argument("--prometheus", help="Prometheus' base URL (default: the native stack's)")
    parser.add_argument(
        "--manage",
        help="command that runs the deployment's manage.py (shell words; default: the native stack's)",
    )
    parser.add_argument(
        "--ca-file",
        help="CA certificate that verifies the site's TLS (default: the native stack's local CA, with its "
        "other defaults; else the system's)",
    )
    parser.add_argument(
        "--server-name",
        help="the name the site's certificate is verified for, when --url reaches it by another "
        "(e.g. https://localhost inside its network; default: the URL's host)",
    )
    parser.add_argument(
        "--host",
        help="the Host header of the site's requests, when --url reaches it by an address the site does "
        "not serve (e.g. a cluster's nginx Service; default: the URL's host)",
    )


def _schedule_and_threshold_arguments(parser: argparse.ArgumentParser) -> None:
    """Output, schedule, and the thresholds (by default the alerts' own)."""
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-record", action="store_true", help="do not export the results as metrics")
    parser.add_argument(
        "--every",
        type=float,
        nargs="?",
        const=alert_threshold("checklist.yml", r"> 3 \* (\d+)"),
        metavar="SECONDS",
        help="run again every SECONDS (alone: ProductionReadinessChecklistStale's interval), never exit",
    )
    backup_hours = alert_threshold(
        "backups.yml", r"backup_last_success_timestamp_seconds\{[^}]*\}\) > (\d+) \* 3600"
    )
    hit_ratio = alert_threshold("infrastructure.yml", r"ratio_rate10m < ([\d.]+)")
    parser.add_argument(
        "--backup-max-age", type=float, default=backup_hours, help="hours (default: BackupTooOld's threshold)"
    )
    parser.add_argument("--drill-max-age", type=float, default=8 * 24, help="hours (default 8 days)")
    parser.add_argument(
        "--cache-hit-ratio",
        type=float,
        default=hit_ratio,
        help="lowest acceptable (default: CacheHitRatioLow's)",
    )
    parser.add_argument(
        "--healthcheck", action="store_true", help="exit 0 while a scheduled run (--every) keeps finishing"
    )
    parser.add_argument(
        "--scheduled",
        action="store_true",
        help="one run of a schedule kept outside (a Kubernetes CronJob): exit 0 once the results are "
        "exported, whatever they are (ProductionReadinessItemFailing reports a failing item), 1 if not",
    )


def run_item(item, deployment: Deployment) -> Result:
    try:
        return item.check(deployment)
    except Exception as error:  # an item that cannot be checked fails, with the reason
        return Result(FAIL, f"could not check {item.title}: {type(error).__name__}: {error}", "see the error")


def print_table(rows: list[dict]) -> None:
    width = max(len(row["item"]) for row in rows)
    for row in rows:
        print(f"{row['status']}  {row['item']:<{width}}  {row['checked']}")
        if row["status"] != PASS and row["fix"]:
            print(f"{'':6}{'':<{width}}  fix: {row['fix']}")
    counts = {status: sum(row["status"] == status for row in rows) for status in (PASS, WARN, FAIL)}
    print(f"\n{counts[PASS]} pass, {counts[WARN]} warn, {counts[FAIL]} fail")


def run_once(arguments: argparse.Namespace) -> int:
    deployment = Deployment(
        arguments.url,
        arguments.prometheus,
        shlex.split(arguments.manage),
        ca_file=arguments.ca_file or None,
        server_name=arguments.server_name or None,
        host=arguments.host or None,
    )
    checklist = items(
        backup_max_age_hours=arguments.backup_max_age,
        # FullBackupTooOld's threshold, in days.
        full_backup_max_age_hours=24
        * alert_threshold("backups.yml", r"type=\"full\"\}\)\s*> (\d+) \* 86400"),
        drill_max_age_hours=arguments.drill_max_age,
        cache_hit_ratio=arguments.cache_hit_ratio,
        cache_min_rate=alert_threshold("infrastructure.yml", r"cache_requests:rate10m > ([\d.]+)"),
    )
    try:
        if deployment.settle():
            print(
                "checklist: Prometheus has just started; waited for its first scrapes and rules",
                file=sys.stderr,
            )
    except OSError as error:
        print(f"checklist: Prometheus at {arguments.prometheus} does not answer: {error}", file=sys.stderr)
    rows = []
    for item in checklist:
        result = run_item(item, deployment)
        rows.append({"item": item.id, "category": item.category, "title": item.title, **result.__dict__})
    if arguments.json:
        print(json.dumps({"url": arguments.url, "prometheus": arguments.prometheus, "items": rows}, indent=2))
    else:
        print_table(rows)
    recorded = not arguments.no_record and export(deployment, rows)
    if arguments.scheduled:
        # The items' verdicts live in the metrics; the Job fails only when they did not get there.
        return 0 if recorded else 1
    return 1 if any(row["status"] == FAIL for row in rows) else 0


def export(deployment: Deployment, rows: list[dict]) -> bool:
    """Writes the results where the deployment's /metrics exposes them; a failure is reported only
    (False)."""
    status = {
        "run_at": time.time(),
        "items": {
            row["item"]: {"category": row["category"], "status": STATUS_VALUES[row["status"]]} for row in rows
        },
    }
    try:
        path = deployment.record(status)
        print(f"results exported as tweetstack_checklist_item_status (written to {path})", file=sys.stderr)
    except Exception as error:
        print(f"checklist: could not export the results as metrics: {error}", file=sys.stderr)
        return False
    return True


# Where a scheduled run notes that it finished (and its interval), for a container's healthcheck.
HEARTBEAT = Path(tempfile.gettempdir()) / "tweetstack-checklist.heartbeat"


def healthcheck() -> int:
    """0 while the schedule keeps running: the last run finished within two intervals (plus a run's
    own time), as `--every` noted it."""
    try:
        interval = float(HEARTBEAT.read_text())
        age = time.time() - HEARTBEAT.stat().st_mtime
    except (OSError, ValueError):
        print("checklist: no scheduled run has finished yet", file=sys.stderr)
        return 1
    if age > 2 * interval + 120:
        print(f"checklist: the last scheduled run finished {age:.0f} s ago (interval {interval:.0f} s)")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = parse(argv)
    if arguments.healthcheck:
        return healthcheck()
    if arguments.every is None:
        return run_once(arguments)
    # Scheduled: a supervised program (or container) that keeps the exported results fresh; a
    # run that fails is reported in its exit line and in the metrics, never ends the schedule.
    while True:
        started = time.monotonic()
        status = run_once(arguments)
        took = time.monotonic() - started
        print(f"checklist: run finished with exit code {status} in {took:.1f} s", file=sys.stderr, flush=True)
        sys.stdout.flush()
        HEARTBEAT.write_text(f"{arguments.every}\n")
        time.sleep(max(arguments.every - took, 1.0))


if __name__ == "__main__":
    sys.exit(main())
