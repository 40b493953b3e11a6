"""Backup, scaling and performance items: what the running deployment does."""

from checklist.core import FAIL, PASS, WARN, Deployment, Result

TIMELINE_PAGES = ("home", "explore")


def _age(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def backup_age(deployment: Deployment, max_age_hours: float) -> Result:
    status = deployment.probe["backup"]
    last = status.get("backup_last_success_timestamp_seconds")
    checked = f"last successful backup ({status['file']}) younger than {max_age_hours:g} h"
    if last is None:
        return Result(
            FAIL,
            f"{checked}: none recorded",
            "`make backup` (a scheduled backup service in Compose/Terraform)",
        )
    age = status["now"] - last
    if age > max_age_hours * 3600:
        return Result(FAIL, f"{checked}: it is {_age(age)} old", "docs/runbooks/BackupTooOld.md")
    return Result(PASS, f"{checked}: {_age(age)} old")


def pgbackrest_backups(deployment: Deployment, max_age_hours: float, full_max_age_hours: float) -> Result:
    """pgBackRest's own `info`: every repository has a recent backup and a recent full one."""
    info = deployment.probe["pgbackrest"]
    checked = (
        f"pgbackrest info: each repository's newest backup < {max_age_hours:g} h, "
        f"full < {full_max_age_hours:g} h"
    )
    if info is None:
        return Result(
            WARN,
            "pgBackRest is not set up (BACKUP_METHOD=pg_dump): no point-in-time recovery",
            "BACKUP_METHOD=pgbackrest with a repository (README: Backups)",
        )
    if "error" in info:
        return Result(FAIL, f"{checked}: {info['error']}", "docs/runbooks/WalArchivingFailing.md")
    problems, found = [], []
    for repo, by_type in sorted(info["repositories"].items()):
        newest, full = max(by_type.values(), default=None), by_type.get("full")
        if newest is None or full is None:
            problems.append(f"repo{repo} has no full backup")
            continue
        found.append(f"repo{repo} newest {_age(info['now'] - newest)}, full {_age(info['now'] - full)}")
        if info["now"] - newest > max_age_hours * 3600:
            problems.append(f"repo{repo}'s newest backup is {_age(info['now'] - newest)} old")
        if info["now"] - full > full_max_age_hours * 3600:
            problems.append(f"repo{repo}'s newest full backup is {_age(info['now'] - full)} old")
    if problems or not found:
        return Result(
            FAIL, f"{checked}: {'; '.join(problems) or 'no repository'}", "docs/runbooks/FullBackupTooOld.md"
        )
    return Result(PASS, f"{checked}: {'; '.join(found)}")


def wal_archiving(deployment: Deployment) -> Result:
    status = deployment.probe["wal_archiving"]
    checked = "WAL archived continuously (archive_mode on, the last attempt succeeded)"
    if "error" in status:
        return Result(FAIL, f"{checked}: {status['error']}", "see the error")
    if status["archive_mode"] != "on":
        return Result(FAIL, f"{checked}: archive_mode is {status['archive_mode']}", "postgres/archiving.conf")
    last, failed = status["last_archived"], status["last_failed"]
    if failed is not None and (last is None or failed > last):
        return Result(FAIL, f"{checked}: the last attempt failed", "docs/runbooks/WalArchivingFailing.md")
    if last is None:
        return Result(WARN, f"{checked}: nothing archived yet", "write something, or `pgbackrest check`")
    return Result(
        PASS, f"{checked}: {status['archived_count']} segments, the last {_age(status['now'] - last)} ago"
    )


def restore_drill(deployment: Deployment, max_age_hours: float) -> Result:
    status = deployment.probe["backup"]
    drill = status.get("backup_restore_drill_last_success_timestamp_seconds")
    checked = f"last restore drill passed within {max_age_hours:g} h"
    if drill is None:
        return Result(FAIL, f"{checked}: none recorded", "`make restore-drill` after a backup")
    age = status["now"] - drill
    if age > max_age_hours * 3600:
        return Result(FAIL, f"{checked}: it passed {_age(age)} ago", "`make restore-drill`")
    return Result(PASS, f"{checked}: {_age(age)} ago")


def replicas(deployment: Deployment) -> Result:
    series = deployment.query('up{job="web"}')
    instances = {
        s["metric"].get("service_instance") or s["metric"]["instance"]: s["value"][1] for s in series
    }
    down = sorted(name for name, value in instances.items() if value != "1")
    checked = f"{len(instances)} web replicas behind nginx (≥ 2), every one answering Prometheus"
    if len(instances) < 2:
        return Result(
            FAIL, checked, "REPLICAS=2 (native), WEB_REPLICAS=2 (Compose), web_replicas = 2 (Terraform)"
        )
    if down:
        return Result(FAIL, f"{checked}: down: {', '.join(down)}", "docs/runbooks/WebReplicaDown.md")
    return Result(PASS, f"{checked}: {', '.join(sorted(instances))}")


def cache_hit_ratio(deployment: Deployment, threshold: float, min_rate: float) -> Result:
    """As CacheHitRatioLow judges it: the 10-minute ratio, once there is enough traffic to mean anything."""
    ratio = deployment.scalar("sum(job:tweetstack_timeline_cache_hit:ratio_rate10m)")
    rate = deployment.scalar("sum(job:tweetstack_timeline_cache_requests:rate10m)") or 0.0
    checked = f"timeline cache hit ratio over 10 min ≥ {threshold:.0%}"
    if ratio is None or rate <= min_rate:
        return Result(
            WARN,
            f"{checked}: too few timeline reads to judge ({rate * 60:.1f}/min, need {min_rate * 60:g}/min)",
            "measure after real traffic (or `make loadtest`)",
        )
    if ratio < threshold:
        return Result(
            FAIL, f"{checked}: {ratio:.0%} at {rate * 60:.0f} reads/min", "docs/runbooks/CacheHitRatioLow.md"
        )
    return Result(PASS, f"{checked}: {ratio:.0%} at {rate * 60:.0f} reads/min")


def timeline_indexes(deployment: Deployment) -> Result:
    indexes = deployment.probe["timeline_indexes"]
    if isinstance(indexes, dict):
        return Result(FAIL, f"timeline indexes could not be read: {indexes['error']}", "manage.py migrate")
    missing = [f"{i['name']} ({', '.join(i['columns'])})" for i in indexes if not i["exists"]]
    names = ", ".join(f"{i['name']} ({', '.join(i['columns'])})" for i in indexes)
    if not indexes or missing:
        return Result(
            FAIL, f"timeline indexes in the database: missing {', '.join(missing)}", "manage.py migrate"
        )
    return Result(PASS, f"timeline indexes exist in the database: {names}")


def queries_constant(deployment: Deployment) -> Result:
    counts = deployment.probe["queries_per_page"]
    if "error" in counts:
        return Result(
            FAIL, f"queries per timeline page could not be measured: {counts['error']}", "see the error"
        )
    summary = "; ".join(f"{page}: {' → '.join(map(str, counts[page]))}" for page in TIMELINE_PAGES)
    checked = f"SQL queries per timeline page with 3 and 43 tweets, cache off, rolled back ({summary})"
    if any(len(set(counts[page])) != 1 for page in TIMELINE_PAGES):
        return Result(FAIL, checked, "an N+1 query: tests/tweets/test_selectors.py shows which page")
    return Result(PASS, checked)
