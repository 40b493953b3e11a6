"""A database that cannot be reached is a readable 503 with Retry-After; a bug is still a 500."""

import pytest
from django.db import IntegrityError, OperationalError, connection
from django.test import Client

from tweets import selectors
from tweets.models import Tweet


@pytest.fixture
def failing_explore(monkeypatch):
    def fail_with(error):
        def raise_it(*args, **kwargs):
            raise error

        monkeypatch.setattr(selectors, "explore_timeline", raise_it)

    return fail_with


@pytest.fixture
def production_client(settings, db):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_an_unreachable_database_is_a_503_with_retry_after_and_a_readable_page(
    production_client, failing_explore, settings
):
    failing_explore(OperationalError("connection timeout expired"))
    response = production_client.get("/explore/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(int(settings.TIMEOUTS["RETRY_AFTER"]))
    assert "temporarily unavailable" in response.text and "Nothing you posted" in response.text


def test_other_database_errors_stay_a_500(production_client, failing_explore):
    failing_explore(IntegrityError("duplicate key"))
    response = production_client.get("/explore/")
    assert response.status_code == 500 and "Retry-After" not in response


@pytest.mark.django_db(transaction=True)
def test_a_post_to_a_database_that_is_read_only_for_now_is_a_503_and_stores_nothing(settings, user, caplog):
    # What a server restored from a backup (or a standby) answers while it replays WAL: the same
    # SQLSTATE 25006 as here, where the session's transactions are made read-only.
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        response = client.post("/tweets/", {"text": "posted while the database replays WAL"})
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET default_transaction_read_only")
    assert response.status_code == 503 and response["Retry-After"].isdigit()
    assert not Tweet.objects.exists()
    # The request's log line says what the client got.
    [line] = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "request_failed"
    ]
    assert line["status"] == 503 and line["path"] == "/tweets/"
