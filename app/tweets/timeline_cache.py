"""Timeline pages cached in the shared cache (Redis), invalidated explicitly on every write.

Every cached page key carries a generation number; a write bumps the generation, so the next read
of any timeline misses and rebuilds. That is coarse, but it guarantees an author sees their own
tweet (or like) at once, with no fan-out of deletes.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from observability.metrics import TIMELINE_CACHE

GENERATION_KEY = "timeline:generation"

T = TypeVar("T")


def invalidate() -> None:
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def get_or_build(key: str, build: Callable[[], T]) -> T:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, timeout=None)
    full_key = f"timeline:{generation}:{key}"
    page: T | None = cache.get(full_key)
    if page is not None:
        TIMELINE_CACHE.labels(result="hit").inc()
        return page
    TIMELINE_CACHE.labels(result="miss").inc()
    page = build()
    cache.set(full_key, page, timeout=settings.TIMELINE_CACHE_SECONDS)
    return page
