"""Circuit breakers (pybreaker) around the dependencies: stop waiting on one that does not answer.

One breaker per dependency and process. Redis' (config/cache.py) guards every use of the shared
Redis client (the cache, the session store's cache half, the rate limiter, the timelines), since
they all wait on the same server. After BREAKER_FAIL_MAX consecutive failures or timeouts it opens:
calls fail at once, the callers fall back (PostgreSQL, or no rate limit), and Redis is left alone
for BREAKER_RESET_TIMEOUT seconds; then one call probes it (half-open) and closes the breaker or
opens it again. PostgreSQL's (config/postgresql/base.py) turns a stalled database into fast 503s.
Each transition is one log line and the state gauge; nothing is logged per call.
"""

import threading
from collections.abc import Callable

import pybreaker
import structlog
from django.conf import settings

from observability.metrics import CIRCUIT_BREAKER_STATE, CIRCUIT_BREAKER_TRANSITIONS

STATE_VALUES = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}
logger = structlog.get_logger(__name__)
_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_lock = threading.Lock()


class Telemetry(pybreaker.CircuitBreakerListener):
    """Logs each transition with the failure that caused it, and exports the state."""

    def __init__(self) -> None:
        self.last_failure = ""

    def failure(self, breaker: pybreaker.CircuitBreaker, exception: BaseException) -> None:
        cause = exception.__cause__ or exception
        self.last_failure = f"{type(cause).__name__}: {cause}"[:300]

    def state_change(
        self,
        breaker: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        dependency, new = breaker.name, new_state.name
        if old_state is not None and old_state.name == new:
            return  # a call that was in flight when the breaker opened failed too: no change
        CIRCUIT_BREAKER_STATE.labels(dependency=dependency).set(STATE_VALUES[new])
        CIRCUIT_BREAKER_TRANSITIONS.labels(dependency=dependency, state=new).inc()
        log = logger.warning if new == pybreaker.STATE_OPEN else logger.info
        log(
            "circuit_breaker_state_change",
            dependency=dependency,
            old_state=old_state.name if old_state else None,
            new_state=new,
            last_failure=self.last_failure if new != pybreaker.STATE_CLOSED else "",
            reset_timeout_seconds=breaker.reset_timeout,
        )


def counts_every_exception(exception: BaseException) -> bool:
    return True


def breaker(
    dependency: str,
    counts: Callable[[BaseException], bool] = counts_every_exception,
    fail_max_key: str = "BREAKER_FAIL_MAX",
) -> pybreaker.CircuitBreaker:
    """The process' breaker for a dependency; `counts` tells which exceptions are its failures."""
    with _lock:
        if dependency not in _breakers:
            timeouts = settings.TIMEOUTS
            _breakers[dependency] = pybreaker.CircuitBreaker(
                fail_max=int(timeouts[fail_max_key]),
                reset_timeout=timeouts["BREAKER_RESET_TIMEOUT"],
                exclude=[lambda exception: not counts(exception)],
                listeners=[Telemetry()],
                name=dependency,
            )
            CIRCUIT_BREAKER_STATE.labels(dependency=dependency).set(0)
        return _breakers[dependency]


def forget_all() -> None:
    """Drops every breaker, so the next call starts closed (the tests isolate themselves with it)."""
    with _lock:
        _breakers.clear()
