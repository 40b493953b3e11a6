"""Every item of the production readiness checklist, in the order they are printed."""

import functools

from checklist import configuration, monitoring, operations, security
from checklist.core import Item


def items(
    *,
    backup_max_age_hours: float,
    full_backup_max_age_hours: float,
    drill_max_age_hours: float,
    cache_hit_ratio: float,
    cache_min_rate: float,
) -> list[Item]:
    return [
        *SECURITY,
        *MONITORING,
        *_backup(backup_max_age_hours, full_backup_max_age_hours, drill_max_age_hours),
        *_scaling_and_performance(cache_hit_ratio, cache_min_rate),
        *RELIABILITY,
    ]


SECURITY = [
    Item("security.secret_key", "security", "secrets set, not defaults", security.secret_key),
    Item("security.debug_off", "security", "DEBUG off", security.debug_off),
    Item("security.check_deploy", "security", "check --deploy clean", security.check_deploy),
    Item("security.hsts", "security", "HSTS served", security.hsts),
    Item("security.headers", "security", "security headers served", security.security_headers),
    Item("security.cookies", "security", "cookie flags", security.cookies),
    Item("security.metrics_private", "security", "/metrics not public", security.metrics_not_public),
    Item("security.non_root", "security", "containers non-root", security.containers_non_root),
]
MONITORING = [
    Item("monitoring.targets_up", "monitoring", "Prometheus targets up", monitoring.targets_up),
    Item("monitoring.rules_loaded", "monitoring", "rule files loaded", monitoring.rule_files_loaded),
    Item(
        "monitoring.alertmanager",
        "monitoring",
        "Alertmanager reachable",
        monitoring.alertmanager_reachable,
    ),
    Item("monitoring.watchdog", "monitoring", "Watchdog flowing", monitoring.watchdog_flowing),
]


def _backup(backup_max_age_hours: float, full_backup_max_age_hours: float, drill_max_age_hours: float):
    return [
        Item(
            "backup.age",
            "backup",
            "last backup recent",
            bound(operations.backup_age, max_age_hours=backup_max_age_hours),
        ),
        Item(
            "backup.pgbackrest",
            "backup",
            "pgBackRest repositories current",
            bound(
                operations.pgbackrest_backups,
                max_age_hours=backup_max_age_hours,
                full_max_age_hours=full_backup_max_age_hours,
            ),
        ),
        Item("backup.wal_archiving", "backup", "WAL archived", operations.wal_archiving),
        Item(
            "backup.restore_drill",
            "backup",
            "restore drill passed",
            bound(operations.restore_drill, max_age_hours=drill_max_age_hours),
        ),
    ]


def _scaling_and_performance(cache_hit_ratio: float, cache_min_rate: float):
    return [
        Item("scaling.replicas", "scaling", "≥ 2 replicas, all healthy", operations.replicas),
        Item(
            "performance.cache_hit_ratio",
            "performance",
            "timeline cache hit ratio",
            bound(operations.cache_hit_ratio, threshold=cache_hit_ratio, min_rate=cache_min_rate),
        ),
        Item("performance.timeline_indexes", "performance", "timeline indexes", operations.timeline_indexes),
        Item(
            "performance.queries_constant",
            "performance",
            "queries per page constant",
            operations.queries_constant,
        ),
    ]


RELIABILITY = [
    Item("reliability.healthchecks", "reliability", "healthchecks", configuration.healthchecks),
    Item("reliability.graceful_timeout", "reliability", "graceful timeout", configuration.graceful_timeout),
    Item("reliability.restart_policy", "reliability", "restart policy", configuration.restart_policy),
    Item("documentation.runbooks", "documentation", "a runbook per alert", configuration.runbooks),
]


def bound(function, **kwargs):
    return functools.partial(function, **kwargs)
