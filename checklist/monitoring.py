"""Monitoring items, asked of Prometheus: targets, rule files, Alertmanager, the Watchdog heartbeat."""

from checklist import configs
from checklist.core import FAIL, PASS, Deployment, Result


def targets_up(deployment: Deployment) -> Result:
    targets = deployment.prometheus("/api/v1/targets", state="active")["activeTargets"]
    down = [
        f"{t['labels'].get('job')}/{t['labels'].get('instance')} ({t.get('lastError') or t['health']})"
        for t in targets
        if t["health"] != "up"
    ]
    jobs = sorted({t["labels"].get("job", "?") for t in targets})
    checked = f"{len(targets)} Prometheus targets of {len(jobs)} jobs ({', '.join(jobs)}) are up"
    if not targets:
        return Result(FAIL, "Prometheus has no active target", "check its file_sd targets/*.json")
    if down:
        return Result(FAIL, f"{checked}: down: {'; '.join(down)}", "the runbook PrometheusTargetMissing")
    return Result(PASS, checked)


def rule_files_loaded(deployment: Deployment) -> Result:
    groups = deployment.prometheus("/api/v1/rules")["groups"]
    loaded = {group["name"] for group in groups}
    expected = {name: {group["name"] for group in groups} for name, groups in configs.alert_rules().items()}
    missing = [
        f"{name} ({', '.join(sorted(want - loaded))})" for name, want in expected.items() if want - loaded
    ]
    broken = [
        f"{rule['name']}: {rule.get('lastError')}"
        for group in groups
        for rule in group["rules"]
        if rule.get("health") == "err"
    ]
    checked = (
        f"every rule group of monitoring/prometheus/rules/*.yml ({len(expected)} files) loaded, evaluating"
    )
    if missing or broken:
        return Result(
            FAIL,
            f"{checked}: missing {'; '.join(missing) or 'none'}; failing {'; '.join(broken) or 'none'}",
            "promtool check rules; reload Prometheus (POST /-/reload) and read its log",
        )
    return Result(PASS, checked)


def alertmanager_reachable(deployment: Deployment) -> Result:
    active = deployment.prometheus("/api/v1/alertmanagers")["activeAlertmanagers"]
    up = deployment.scalar('min(up{job="alertmanager"})')
    checked = f"Prometheus sends to {len(active)} Alertmanager(s) and scrapes them (up={up})"
    if not active or up != 1:
        return Result(FAIL, checked, "alerting.alertmanagers in prometheus.yml (targets/alertmanager.json)")
    return Result(PASS, checked)


def watchdog_flowing(deployment: Deployment) -> Result:
    firing = deployment.query('ALERTS{alertname="Watchdog", alertstate="firing"}')
    sent = deployment.scalar("sum(alertmanager_notifications_total)") or 0
    failed = deployment.scalar("sum(increase(alertmanager_notifications_failed_total[10m]))") or 0
    errors = deployment.scalar("sum(increase(prometheus_notifications_errors_total[10m]))") or 0
    checked = (
        f"Watchdog {'firing' if firing else 'not firing'}; Alertmanager sent {sent:.0f} notifications, "
        f"{failed:.0f} failed and Prometheus had {errors:.0f} send errors in 10 min"
    )
    if not firing or sent < 1 or failed > 0 or errors > 0:
        return Result(FAIL, checked, "docs/runbooks/Watchdog.md")
    return Result(PASS, checked)
