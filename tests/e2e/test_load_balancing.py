"""nginx spreads requests over every web replica."""

import re

from tests.e2e.conftest import REPLICAS, http

REQUESTS = 100
EXPLORE_COUNTER = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="explore"[^}]*\} (\S+)$', re.M
)


def explore_requests(metrics: str) -> float:
    return sum(float(value) for value in EXPLORE_COUNTER.findall(metrics))


def test_a_hundred_gets_through_nginx_reach_every_replica(stack):
    before = [explore_requests(stack.replica_metrics(index)) for index in range(REPLICAS)]
    statuses = [http(f"{stack.site}/explore/").status for _ in range(REQUESTS)]
    after = [explore_requests(stack.replica_metrics(index)) for index in range(REPLICAS)]

    assert statuses == [200] * REQUESTS
    served = [later - earlier for earlier, later in zip(before, after, strict=True)]
    assert all(count > 0 for count in served), f"requests per replica: {served}"
    assert sum(served) == REQUESTS
