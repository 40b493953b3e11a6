"""Liveness and readiness, with the real Redis and PostgreSQL of the harness stopped and started."""

import json

import pytest
from django.db import connections
from django.urls import reverse

from tests.factories import TweetFactory
from tests.harness import SERVICES

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_checking_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_reports_each_check_as_json(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()
    assert set(checks.values()) == {"OK"}
    assert any("Database" in name for name in checks)
    assert any("Redis" in name for name in checks)
    assert any("Migrations" in name for name in checks)


@pytest.fixture
def redis_down():
    if SERVICES.redis is None:
        pytest.fail("this test stops Redis, so it needs the harness's own (run without REDIS_URL)")
    SERVICES.redis.stop()
    yield
    SERVICES.redis.start()


def test_redis_down_makes_the_replica_unready_but_pages_still_render(client, redis_down):
    TweetFactory(text="still readable")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert any("Redis" in name and value != "OK" for name, value in response.json().items())
    page = client.get(reverse("explore"))
    assert page.status_code == 200 and "still readable" in page.text


def test_redis_back_makes_the_replica_ready_again(client, redis_down):
    assert client.get("/readyz").status_code == 503
    SERVICES.redis.start()
    assert client.get("/readyz").status_code == 200
    SERVICES.redis.stop()  # the fixture starts it again


def test_postgres_down_fails_readiness_not_liveness(start_gunicorn):
    if SERVICES.postgres is None:
        pytest.fail("this test restarts PostgreSQL, so it needs the harness's own (run without DATABASE_URL)")
    server = start_gunicorn(WEB_CONCURRENCY="1")
    assert server.get("/readyz")[0] == 200
    SERVICES.postgres.stop()
    try:
        assert server.get("/healthz")[0] == 200
        status, _, body = server.get("/readyz")
        assert status == 503
        assert any("Database" in name and value != "OK" for name, value in json.loads(body).items())
    finally:
        SERVICES.postgres.start()
        connections.close_all()  # this process's connections died with the server
    # Persistent connections are health-checked, so the replica recovers without a restart.
    assert server.get("/readyz")[0] == 200
    assert server.get("/explore/")[0] == 200


def test_with_redis_down_logins_posts_and_sessions_keep_working(client, user, redis_down):
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302  # rate limits fail open, sessions are written to the database
    assert client.post(reverse("tweet_create"), {"text": "posted while Redis was down"}).status_code == 302
    page = client.get(reverse("home"))
    assert page.status_code == 200 and "posted while Redis was down" in page.text
