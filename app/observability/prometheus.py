"""django-prometheus, made exact under several workers, bounded in labels, and carrying exemplars."""

import hmac
import json
import os
from collections.abc import Iterator
from pathlib import Path

import prometheus_client
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django_prometheus.conf import PROMETHEUS_LATENCY_BUCKETS
from django_prometheus.middleware import PrometheusAfterMiddleware
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily, Histogram, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics import MetricWrapperBase

from observability.exemplars import ExemplarCollector, ExemplarStore
from observability.health import migration_counts

LATENCY_HISTOGRAM = "django_http_requests_latency_seconds_by_view_method"
exemplar_store = ExemplarStore(PROMETHEUS_LATENCY_BUCKETS)


class _ObserveWithExemplar:
    def __init__(self, child: Histogram, view: str, method: str) -> None:
        self.child, self.view, self.method = child, view, method

    def observe(self, value: float) -> None:
        self.child.observe(value)
        exemplar_store.record(self.view, self.method, value)


class MetricsAfterMiddleware(PrometheusAfterMiddleware):
    def label_metric(
        self,
        metric: MetricWrapperBase,
        request: HttpRequest,
        response: HttpResponse | None = None,
        **labels: str,
    ) -> Histogram | _ObserveWithExemplar:
        if "method" in labels:
            # django-prometheus passes the raw method to some metrics; any string would become a series.
            labels["method"] = self._method(request)
        child: Histogram = super().label_metric(metric, request, response, **labels)
        if metric is self.metrics.requests_latency_by_view_method:
            return _ObserveWithExemplar(child, labels["view"], labels["method"])
        return child


class MigrationsCollector:
    """Applied and unapplied migrations, read at scrape time.

    django-prometheus reads them once at start-up, which fails the worker's boot while the database is
    down and, under multiprocess mode, leaves one series per dead worker pid.
    """

    def collect(self) -> Iterator[Metric]:
        applied = GaugeMetricFamily(
            "django_migrations_applied_total", "Applied migrations.", labels=["connection"]
        )
        unapplied = GaugeMetricFamily(
            "django_migrations_unapplied_total", "Unapplied migrations.", labels=["connection"]
        )
        for alias in connections:
            try:
                done, missing = migration_counts(alias)
            except DatabaseError:
                continue  # the database being down shows in django_db_errors_total and /readyz
            applied.add_metric([alias], done)
            unapplied.add_metric([alias], missing)
        yield applied
        yield unapplied


class BackupCollector:
    """When the last backup and the last restore drill succeeded, from the file the backup commands write."""

    HELP = {
        "backup_last_success_timestamp_seconds": "Unix time of the last successful backup.",
        "backup_restore_drill_last_success_timestamp_seconds": "Unix time of the last passed restore drill.",
    }

    def collect(self) -> Iterator[Metric]:
        try:
            status = json.loads(settings.BACKUP_STATUS_FILE.read_text())
        except (OSError, ValueError):
            return  # no backup yet: the series is absent, which BackupTooOld also catches
        for name, help_text in self.HELP.items():
            if name in status:
                yield GaugeMetricFamily(name, help_text, value=status[name])
        if "pgbackrest_last_backups" in status:
            newest = GaugeMetricFamily(
                "pgbackrest_backup_last_timestamp_seconds",
                "Unix time the newest backup of each type ended, per pgBackRest repository (its info).",
                labels=["repo", "type"],
            )
            for repo, by_type in status["pgbackrest_last_backups"].items():
                for kind, stopped in by_type.items():
                    newest.add_metric([repo, kind], stopped)
            yield newest


class ChecklistCollector:
    """The last production readiness checklist run (`make checklist`), one gauge per item.

    The checklist writes its file beside the backup status file: both are results of jobs run outside
    the web replicas, shared with them on one volume.
    """

    @staticmethod
    def path() -> Path:
        return settings.BACKUP_STATUS_FILE.with_name("checklist.json")

    def collect(self) -> Iterator[Metric]:
        try:
            status = json.loads(self.path().read_text())
            items = {
                name: (item["category"], float(item["status"])) for name, item in status["items"].items()
            }
            run_at = float(status["run_at"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return  # never run (or a partial file): no series rather than a wrong one
        gauge = GaugeMetricFamily(
            "tweetstack_checklist_item_status",
            "Production readiness checklist item: 0 fail, 1 warn, 2 pass.",
            labels=["item", "category"],
        )
        for name, (category, value) in sorted(items.items()):
            gauge.add_metric([name, category], value)
        yield gauge
        yield GaugeMetricFamily(
            "tweetstack_checklist_last_run_timestamp_seconds",
            "Unix time of the last checklist run.",
            value=run_at,
        )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus scrape endpoint; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return HttpResponse("metrics need a bearer token\n", status=401, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every gunicorn worker writes its own files; summing them makes the counters exact.
        source = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(source)  # type: ignore[no-untyped-call]  # untyped upstream
    else:
        source = prometheus_client.REGISTRY
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    registry.register(ExemplarCollector(source, LATENCY_HISTOGRAM, exemplar_store))
    registry.register(MigrationsCollector())
    registry.register(BackupCollector())
    registry.register(ChecklistCollector())
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(registry), content_type=content_type)
