"""Abuse protection: over a limit, a 429 page with Retry-After; nothing stored; nobody locked out for good."""

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from tests.factories import PASSWORD, TweetFactory
from tweets.models import Like, Tweet
from web.metrics import RATE_LIMIT_SCOPES

pytestmark = pytest.mark.django_db
# Limits per hour, not per minute: django-ratelimit's fixed windows end at a jittered second, and a window
# ending in the middle of a test would reset its count.


@pytest.fixture
def limits(settings):
    def set_limit(scope: str, **rates):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: rates}

    return set_limit


def limited_count(scope: str) -> float:
    return REGISTRY.get_sample_value("tweetstack_rate_limited_total", {"scope": scope})


def assert_429(response):
    assert response.status_code == 429
    assert "Too many attempts. Please wait" in response.text
    assert 0 < int(response["Retry-After"]) <= 3600


def login(client, username, password="wrong", ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_every_scope_has_limits_and_a_metric(settings):
    assert set(settings.RATE_LIMITS) == set(RATE_LIMIT_SCOPES)


def test_login_attempts_from_one_ip_are_limited(client, user, limits):
    limits("login", ip="3/h")
    before = limited_count("login")
    for _ in range(3):
        assert login(client, user.username).status_code == 200  # wrong password, form shown again
    assert_429(login(client, user.username, PASSWORD))
    assert limited_count("login") == before + 1
    assert "_auth_user_id" not in client.session


def test_guessing_one_accounts_password_from_many_ips_is_slowed_but_not_a_lockout(
    client, user, limits, monkeypatch
):
    import time as real_time

    import django_ratelimit.core

    limits("login", username="3/15m")
    for n in range(3):
        login(client, user.username.upper(), ip=f"10.0.1.{n}")
    assert_429(login(client, user.username, PASSWORD, ip="10.0.1.99"))

    class Later:
        @staticmethod
        def time():
            return real_time.time() + 15 * 60

    monkeypatch.setattr(django_ratelimit.core, "time", Later)
    assert login(client, user.username, PASSWORD, ip="10.0.1.99").status_code == 302


def test_the_client_address_comes_from_the_configured_proxy_header(client, user, limits, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    limits("login", ip="2/h")
    for _ in range(2):
        client.post(reverse("login"), {"username": "x", "password": "y"}, HTTP_X_REAL_IP="203.0.113.7")
    blocked = client.post(reverse("login"), {"username": "x", "password": "y"}, HTTP_X_REAL_IP="203.0.113.7")
    other = client.post(reverse("login"), {"username": "x", "password": "y"}, HTTP_X_REAL_IP="203.0.113.8")
    assert blocked.status_code == 429 and other.status_code == 200


def test_posting_is_limited_per_user_and_a_refused_post_stores_nothing(user_client, limits):
    limits("post", user="2/h")
    for n in range(2):
        assert user_client.post(reverse("tweet_create"), {"text": f"post {n}"}).status_code == 302
    assert_429(user_client.post(reverse("tweet_create"), {"text": "one too many"}))
    assert Tweet.objects.count() == 2


def test_liking_is_limited_per_user(user_client, limits):
    limits("like", user="2/h")
    tweets = TweetFactory.create_batch(3)
    for tweet in tweets[:2]:
        user_client.post(reverse("tweet_like", args=[tweet.pk]))
    assert_429(user_client.post(reverse("tweet_like", args=[tweets[2].pk])))
    assert Like.objects.count() == 2


def test_signups_from_one_ip_are_limited(client, limits):
    limits("signup", ip="1/h")
    form = {"username": "first", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(reverse("signup"), form).status_code == 302
    client.post(reverse("logout"))
    assert_429(client.post(reverse("signup"), {**form, "username": "second"}))


def test_reading_is_never_limited(client, limits):
    limits("login", ip="1/h")
    for _ in range(3):
        assert client.get(reverse("login")).status_code == 200
