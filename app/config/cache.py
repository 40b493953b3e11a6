"""The Redis cache backend behind a circuit breaker (config/breakers.py).

Every call of django-redis' client goes through Redis' breaker. A failure or an open breaker surfaces
as django-redis' ConnectionInterrupted, which IGNORE_EXCEPTIONS turns into a cache miss, so callers
see what they see when Redis is down: timelines and sessions read from PostgreSQL, rate limits
fail open (RATELIMIT_FAIL_OPEN).
"""

from collections.abc import Callable
from typing import Any, TypeVar

import pybreaker
import redis
import structlog
from django.core.cache import caches
from django_prometheus.cache.backends.redis import RedisCache
from django_redis.exceptions import ConnectionInterrupted  # type: ignore[import-untyped]

from config.breakers import breaker


def is_redis_failure(exception: BaseException) -> bool:
    # Timeouts and refused or reset connections; a value that cannot be decoded is not Redis' fault.
    return isinstance(exception, ConnectionInterrupted)


# django-redis client methods RedisCache calls that do not wait on Redis.
LOCAL_METHODS = frozenset({"close"})


T = TypeVar("T")
logger = structlog.get_logger(__name__)


class RedisUnavailable(Exception):
    """No Redis to use: none configured (the embedded default), it failed, or its breaker is open."""


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
            return self.guard(attribute, *args, **kwargs)

        return call

    def raw_redis(self) -> redis.Redis:
        # Takes a pooled connection; sends nothing to Redis (the caller's commands go through guard()).
        client: redis.Redis = self._client.get_client(write=True)
        return client

    def guard(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # One call probes a half-open breaker; pybreaker lets every concurrent call through, and
        # each would wait out the timeout on a Redis that may still hang.
        if self._circuit.current_state == pybreaker.STATE_HALF_OPEN:
            raise ConnectionInterrupted(connection=None)
        # calling(), not call(): pybreaker's call() holds the breaker's lock while the function runs,
        # which would queue every thread of a worker behind one slow Redis call.
        try:
            with self._circuit.calling():
                return function(*args, **kwargs)
        except pybreaker.CircuitBreakerError as error:
            raise ConnectionInterrupted(connection=None) from error


class BreakerRedisCache(RedisCache):  # type: ignore[misc]
    @property
    def client(self) -> GuardedClient:
        circuit = breaker("redis", counts=is_redis_failure, probe=self.probe)
        return GuardedClient(super().client, circuit)

    def probe(self) -> object:
        return self.client.has_key("tweetstack:breaker-probe")


def redis_configured() -> bool:
    return isinstance(caches["default"], BreakerRedisCache)


def redis_call(operation: Callable[[redis.Redis], T]) -> T:
    """Run operation (commands the cache API has no word for: sorted sets, scripts, pipelines) on the
    cache's Redis connection, through the same breaker as every other use of Redis."""
    backend = caches["default"]
    if not isinstance(backend, BreakerRedisCache):
        raise RedisUnavailable("no Redis configured")
    guarded: GuardedClient = backend.client

    def run() -> T:
        try:
            return operation(guarded.raw_redis())
        except (redis.ConnectionError, redis.TimeoutError) as error:
            # The cache client raises these as ConnectionInterrupted: the breaker counts that.
            raise ConnectionInterrupted(connection=None) from error

    try:
        return guarded.guard(run)
    except ConnectionInterrupted as error:
        raise RedisUnavailable(str(error.__cause__ or "Redis' breaker is open")) from error
    except redis.RedisError as error:
        # Redis answered with an error (out of memory, say): not an outage for the breaker, but the
        # caller degrades the same way; logged, since it is no outage either.
        logger.warning("redis_command_failed", error=f"{type(error).__name__}: {error}"[:300])
        raise RedisUnavailable(str(error)) from error
