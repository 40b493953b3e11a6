"""nginx spreads requests over every web replica."""

import uuid

from tests.e2e.conftest import REPLICAS, http, wait_until

REQUESTS = 100


def test_a_hundred_gets_through_nginx_reach_every_replica(stack):
    # Counted by their own request ids in each replica's log, so other traffic (the scheduled
    # checklist's GETs, say) never adds to the count.
    prefix = f"balance-{uuid.uuid4().hex[:12]}-"
    statuses = [
        http(f"{stack.site}/explore/", headers={"X-Request-ID": f"{prefix}{n}"}).status
        for n in range(REQUESTS)
    ]
    assert statuses == [200] * REQUESTS

    def served():
        counts = [
            sum(
                str(entry.get("request_id", "")).startswith(prefix) and "status" in entry
                for entry in stack.json_log(f"web-{index}")
            )
            for index in range(REPLICAS)
        ]
        return counts if sum(counts) >= REQUESTS else None

    counts = wait_until(served, 10, "not every request's log line was written")
    assert all(count > 0 for count in counts), f"requests per replica: {counts}"
    assert sum(counts) == REQUESTS
