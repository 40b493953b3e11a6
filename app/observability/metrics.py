"""Metrics of the shared infrastructure: the dependencies' circuit breakers (config/breakers.py).

Each domain app declares its own counters in its metrics.py; names follow Prometheus conventions and
every label value comes from a fixed set.
"""

from prometheus_client import Counter, Gauge

# Per process, and per replica as the worst of its workers (livemax: dead workers drop out).
CIRCUIT_BREAKER_STATE = Gauge(
    "tweetstack_circuit_breaker_state",
    "State of a dependency's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ["dependency"],
    multiprocess_mode="livemax",
)
CIRCUIT_BREAKER_TRANSITIONS = Counter(
    "tweetstack_circuit_breaker_transitions_total",
    "Circuit breaker state changes, by dependency and the state entered.",
    ["dependency", "state"],
)
# Export every series from the start, so rates and ratios exist before the first event.
for dependency in ("redis", "postgres"):
    CIRCUIT_BREAKER_STATE.labels(dependency=dependency).set(0)
    for state in ("closed", "half-open", "open"):
        CIRCUIT_BREAKER_TRANSITIONS.labels(dependency=dependency, state=state)
