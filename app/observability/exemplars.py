"""Exemplars (trace ids) on the request-latency histogram, also under gunicorn with several workers.

prometheus_client's multiprocess mode stores no exemplars, so each process keeps the latest exemplar
per (view, method, bucket) and, in multiprocess mode, writes them to a small JSON file in
PROMETHEUS_MULTIPROC_DIR at most once a second. A scrape merges the files (newest exemplar wins) into
the histogram's bucket samples, and the OpenMetrics exposition prints them.
"""

import bisect
import glob
import json
import math
import os
import threading
import time
from collections.abc import Iterator

from opentelemetry import trace
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar, Sample
from prometheus_client.utils import floatToGoString

FLUSH_INTERVAL_SECONDS = 1.0


class ExemplarStore:
    def __init__(self, buckets: tuple[float, ...]):
        self.bounds = [bound for bound in buckets if bound != math.inf]
        self.latest: dict[str, tuple[str, float, float]] = {}
        self.lock = threading.Lock()
        self.last_flush = 0.0

    def record(self, view: str, method: str, value: float) -> None:
        context = trace.get_current_span().get_span_context()
        if not context.is_valid or not context.trace_flags.sampled:
            return
        index = bisect.bisect_left(self.bounds, value)
        le = _format_bound(self.bounds[index] if index < len(self.bounds) else math.inf)
        key = json.dumps([view, method, le])
        now = time.time()
        with self.lock:
            self.latest[key] = (trace.format_trace_id(context.trace_id), value, now)
            if (directory := _directory()) and now - self.last_flush >= FLUSH_INTERVAL_SECONDS:
                self.last_flush = now
                self._flush(directory)

    def _flush(self, directory: str) -> None:
        path = os.path.join(directory, f"exemplars_{os.getpid()}.json")
        temporary = f"{path}.tmp"
        with open(temporary, "w") as file:
            json.dump(self.latest, file)
        os.replace(temporary, path)

    def merged(self) -> dict[str, tuple[str, float, float]]:
        """The newest exemplar per bucket across every process (only this one without multiprocess)."""
        with self.lock:
            merged = dict(self.latest)
        if directory := _directory():
            for path in glob.glob(os.path.join(directory, "exemplars_*.json")):
                try:
                    with open(path) as file:
                        other = json.load(file)
                except (OSError, ValueError):
                    continue  # being replaced right now; the next scrape reads it
                for key, exemplar in other.items():
                    if key not in merged or exemplar[2] > merged[key][2]:
                        merged[key] = tuple(exemplar)
        return merged


class ExemplarCollector:
    """Wraps a registry's collection and attaches exemplars to one histogram's buckets."""

    def __init__(self, source: Collector, histogram_name: str, store: ExemplarStore) -> None:
        self.source, self.histogram_name, self.store = source, histogram_name, store

    def collect(self) -> Iterator[Metric]:
        exemplars = self.store.merged()
        for family in self.source.collect():
            if family.name == self.histogram_name:
                family.samples = [self._with_exemplar(sample, exemplars) for sample in family.samples]
            yield family

    @staticmethod
    def _with_exemplar(sample: Sample, exemplars: dict[str, tuple[str, float, float]]) -> Sample:
        if not sample.name.endswith("_bucket"):
            return sample
        labels = sample.labels
        key = json.dumps([labels.get("view"), labels.get("method"), labels.get("le")])
        if key not in exemplars:
            return sample
        trace_id, value, timestamp = exemplars[key]
        return sample._replace(exemplar=Exemplar({"trace_id": trace_id}, value, timestamp))


def _directory() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def _format_bound(bound: float) -> str:
    # The same text prometheus_client writes in the `le` label.
    return str(floatToGoString(bound))  # type: ignore[no-untyped-call]  # untyped upstream
