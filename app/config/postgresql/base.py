"""The PostgreSQL backend (django-prometheus' instrumented one) behind a circuit breaker.

A stalled database (a partition, a paused server) costs a connect timeout per attempt, and one
request may try several times (the session, the user, the view each ask for a connection): a page
would take many timeouts to fail. After BREAKER_DB_FAIL_MAX connect timeouts in a row the breaker
opens, and every connection attempt in this process fails at once, a 503 (web/error_pages.py), for
one cool-down; then one attempt probes the database. A refused connection (PostgreSQL restarting)
fails at once by itself, is not counted, and costs no cool-down.
"""

from typing import Any

import psycopg
import pybreaker
from django_prometheus.db.backends.postgresql import base

from config.breakers import breaker


def is_stall(exception: BaseException) -> bool:
    return isinstance(exception, psycopg.errors.ConnectionTimeout)


def probe_connection() -> None:
    # In the breaker's timer thread, which has its own connection object: opened, then closed.
    from django.db import connection

    try:
        connection.ensure_connection()
    finally:
        connection.close()


def database_breaker() -> pybreaker.CircuitBreaker:
    return breaker("postgres", counts=is_stall, fail_max_key="BREAKER_DB_FAIL_MAX", probe=probe_connection)


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        circuit = database_breaker()
        # One connection attempt probes a half-open breaker; the others fail at once meanwhile.
        if circuit.current_state == pybreaker.STATE_HALF_OPEN:
            raise psycopg.OperationalError("PostgreSQL not tried: another connection is probing it")
        try:
            with circuit.calling():
                return super().get_new_connection(conn_params)
        except pybreaker.CircuitBreakerError as error:
            # As the driver's own error, so Django raises it as django.db.OperationalError.
            raise psycopg.OperationalError(f"PostgreSQL not tried: {error}") from error

    def is_usable(self) -> bool:
        # With the breaker open, a kept connection is not worth a probe that would stall too.
        if database_breaker().current_state == pybreaker.STATE_OPEN:
            return False
        return bool(super().is_usable())
