"""Liveness (/healthz: the process answers) and readiness (/readyz: database, Redis, migrations)."""

import asyncio
import dataclasses
from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient


def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def migration_counts(alias: str = DEFAULT_DB_ALIAS) -> tuple[int, int]:
    """(applied, unapplied) migrations of a database; raises if the database cannot be reached."""
    executor = MigrationExecutor(connections[alias])
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return len(executor.loader.applied_migrations), len(unapplied)


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Not ready while the code expects migrations the database has not applied."""

    alias: str = DEFAULT_DB_ALIAS

    async def run(self) -> None:
        _, unapplied = await sync_to_async(migration_counts)(self.alias)
        if unapplied:
            raise ServiceUnavailable(f"{unapplied} unapplied migrations")


class ReadinessView(HealthCheckView):
    """JSON for every client, and 503 (not 500) when not ready, so load balancers take the replica out."""

    def get_checks(self) -> Iterator[HealthCheck]:
        yield Database()
        yield Migrations()
        if settings.REDIS_URL:
            timeout = settings.CACHES["default"]["OPTIONS"]["SOCKET_TIMEOUT"]
            yield Redis(
                client_factory=lambda: RedisClient.from_url(
                    settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
                )
            )

    async def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        response: HttpResponse = self.render_to_response_json(
            503 if any(result.error for result in self.results) else 200
        )
        return response
