"""Circuit breakers (pybreaker) around the dependencies: stop waiting on one that does not answer.

One breaker per dependency and process. Redis' (config/cache.py) guards every use of the shared
Redis client (the cache, the session store's cache half, the rate limiter, the timelines), since
they all wait on the same server. After BREAKER_FAIL_MAX consecutive failures or timeouts it opens:
calls fail at once, the callers fall back (PostgreSQL, or no rate limit), and Redis is left alone
for BREAKER_RESET_TIMEOUT seconds; then one call probes it (half-open) and closes the breaker or
opens it again. PostgreSQL's (config/postgresql/base.py) turns a stalled database into fast 503s.
Each transition is one log line and the state gauge; nothing is logged per call. A breaker that
opens also schedules one probe of its own for the end of the cool-down, so a worker that gets no
traffic still closes (and says so in the gauge) once the dependency answers.
"""

import contextlib
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
    """Logs each transition with the failure that caused it, exports the state, and probes the
    dependency at the end of each cool-down if no request has by then."""

    def __init__(self, probe: Callable[[], object] | None) -> None:
        self.last_failure = ""
        self.probe = probe
        self.timer: threading.Timer | None = None

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
        if new == pybreaker.STATE_OPEN and self.probe is not None:
            # Later than the cool-down, so under traffic a request probes first and this one finds
            # the breaker closed (or open again, with a timer of its own) and does nothing.
            self.timer = threading.Timer(1.5 * breaker.reset_timeout, self._probe_if_still_open, [breaker])
            self.timer.daemon = True
            self.timer.start()

    def stop(self) -> None:
        self.probe = None
        if self.timer is not None:
            self.timer.cancel()

    def _probe_if_still_open(self, breaker: pybreaker.CircuitBreaker) -> None:
        if breaker.current_state == pybreaker.STATE_OPEN and self.probe is not None:
            # The probe's call goes through the breaker, which half-opens, then closes or opens again.
            with contextlib.suppress(Exception):
                self.probe()


def counts_every_exception(exception: BaseException) -> bool:
    return True


def breaker(
    dependency: str,
    counts: Callable[[BaseException], bool] = counts_every_exception,
    fail_max_key: str = "BREAKER_FAIL_MAX",
    probe: Callable[[], object] | None = None,
) -> pybreaker.CircuitBreaker:
    """The process' breaker for a dependency; `counts` tells which exceptions are its failures, and
    `probe` (a call through the breaker) is run once at the end of a cool-down nobody else probed."""
    with _lock:
        if dependency not in _breakers:
            timeouts = settings.TIMEOUTS
            _breakers[dependency] = pybreaker.CircuitBreaker(
                fail_max=int(timeouts[fail_max_key]),
                reset_timeout=timeouts["BREAKER_RESET_TIMEOUT"],
                exclude=[lambda exception: not counts(exception)],
                listeners=[Telemetry(probe)],
                name=dependency,
            )
            CIRCUIT_BREAKER_STATE.labels(dependency=dependency).set(0)
        return _breakers[dependency]


def forget_all() -> None:
    """Drops every breaker, so the next call starts closed (the tests isolate themselves with it)."""
    with _lock:
        for forgotten in _breakers.values():
            for listener in forgotten.listeners:
                if isinstance(listener, Telemetry):
                    listener.stop()
        _breakers.clear()
