"""The Redis cache backend behind a circuit breaker (config/breakers.py).

Every call of django-redis' client goes through Redis' breaker. A failure or an open breaker surfaces
as django-redis' ConnectionInterrupted, which IGNORE_EXCEPTIONS turns into a cache miss, so callers
see what they see when Redis is down: timelines and sessions read from PostgreSQL, rate limits
fail open (RATELIMIT_FAIL_OPEN).
"""

from typing import Any

import pybreaker
from django_prometheus.cache.backends.redis import RedisCache
from django_redis.exceptions import ConnectionInterrupted  # type: ignore[import-untyped]

from config.breakers import breaker


def is_redis_failure(exception: BaseException) -> bool:
    # Timeouts and refused or reset connections; a value that cannot be decoded is not Redis' fault.
    return isinstance(exception, ConnectionInterrupted)


# django-redis client methods RedisCache calls that do not wait on Redis.
LOCAL_METHODS = frozenset({"close"})


class GuardedClient:
    def __init__(self, client: Any, circuit: pybreaker.CircuitBreaker) -> None:
        self._client = client
        self._circuit = circuit

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        # close() (Django calls it after every request) sends nothing to Redis: through the breaker its
        # success would reset the failure count, and close a half-open breaker whose probe failed.
        if not callable(attribute) or name in LOCAL_METHODS:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            # One call probes a half-open breaker; pybreaker lets every concurrent call through, and
            # each would wait out the timeout on a Redis that may still hang.
            if self._circuit.current_state == pybreaker.STATE_HALF_OPEN:
                raise ConnectionInterrupted(connection=None)
            # calling(), not call(): pybreaker's call() holds the breaker's lock while the function runs,
            # which would queue every thread of a worker behind one slow Redis call.
            try:
                with self._circuit.calling():
                    return attribute(*args, **kwargs)
            except pybreaker.CircuitBreakerError as error:
                raise ConnectionInterrupted(connection=None) from error

        return call


class BreakerRedisCache(RedisCache):  # type: ignore[misc]
    @property
    def client(self) -> GuardedClient:
        circuit = breaker("redis", counts=is_redis_failure, probe=self.probe)
        return GuardedClient(super().client, circuit)

    def probe(self) -> object:
        return self.client.has_key("tweetstack:breaker-probe")
