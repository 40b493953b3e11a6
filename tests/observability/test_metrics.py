"""What Prometheus scrapes from /metrics: request, database, cache, migration and business metrics."""

import random
import string

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import PASSWORD, TweetFactory, UserFactory

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[tuple, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return sum(
        v
        for (n, lbls), v in samples.items()
        if n == name and all(dict(lbls).get(k) == x for k, x in labels.items())
    )


def test_requests_are_counted_by_route_name_method_and_status(client):
    before = scrape(client)
    client.get(reverse("explore"))
    client.get("/@nobody")
    after = scrape(client)
    name = "django_http_responses_total_by_status_view_method_total"
    assert (
        value(after, name, view="explore", method="GET", status="200")
        == value(before, name, view="explore", method="GET", status="200") + 1
    )
    assert (
        value(after, name, view="profile", status="404")
        == value(before, name, view="profile", status="404") + 1
    )
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert value(after, latency, view="explore") == value(before, latency, view="explore") + 1


def test_database_and_cache_metrics_come_from_the_real_backends(client):
    TweetFactory()
    client.force_login(UserFactory())  # the session is read through the cache (timelines are not)
    client.get(reverse("explore"))
    samples = scrape(client)
    assert value(samples, "django_db_execute_total", vendor="postgresql") > 0
    assert value(samples, "django_cache_get_total", backend="redis") > 0


def test_migrations_are_exported(client):
    samples = scrape(client)
    assert value(samples, "django_migrations_applied_total", connection="default") > 10
    assert value(samples, "django_migrations_unapplied_total", connection="default") == 0


def label_values(samples: dict) -> set[tuple[str, str, str]]:
    return {
        (name, key, label)
        for name, labels in samples
        if name.startswith("django_http")
        for key, label in labels
        if key != "le"
    }


def test_unknown_paths_and_methods_add_no_label_values(client):
    for path in ("/explore/", "/nope"):  # every route the loop below can reach has been seen once
        client.get(path)
        client.generic("BREW", path)
    known = label_values(scrape(client))
    rng = random.Random(7)
    for _ in range(50):
        junk = "".join(rng.choices(string.ascii_letters + string.digits + "-_/", k=rng.randint(1, 40)))
        client.get(f"/{junk}-{rng.random()}")
        client.generic("".join(rng.choices(string.ascii_uppercase, k=6)), f"/{junk}")
    assert label_values(scrape(client)) == known


def test_business_events_are_counted(client, user, other_user, django_capture_on_commit_callbacks):
    counters = [
        ("tweetstack_tweets_posted_total", {}),
        ("tweetstack_tweets_deleted_total", {}),
        ("tweetstack_likes_total", {}),
        ("tweetstack_follows_total", {}),
        ("tweetstack_signups_total", {}),
        ("tweetstack_profile_updates_total", {}),
        ("tweetstack_login_failures_total", {}),
        ("tweetstack_image_uploads_rejected_total", {"reason": "not_an_image"}),
    ]
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
        client.post(reverse("signup"), {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD})
        client.force_login(user)
        client.post(reverse("tweet_create"), {"text": "counted"})
        client.post(
            reverse("tweet_create"),
            {"text": "bad", "image": SimpleUploadedFile("x.jpg", b"not an image" * 9)},
        )
        tweet = TweetFactory(author=user)
        client.post(reverse("tweet_like", args=[tweet.pk]))
        client.post(reverse("tweet_like", args=[tweet.pk]))  # a repeat is not a new like
        client.post(reverse("follow", args=[other_user.username]))
        client.post(reverse("tweet_delete", args=[tweet.pk]))
        client.post(reverse("profile_edit"), {"display_name": "Counted", "bio": ""})
    after = scrape(client)
    for name, labels in counters:
        assert value(after, name, **labels) == value(before, name, **labels) + 1, name


def test_replies_reposts_and_notifications_are_counted(
    client, user, other_user, django_capture_on_commit_callbacks
):
    theirs = TweetFactory(author=other_user)
    before = scrape(client)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("tweet_reply", args=[theirs.pk]), {"text": f"@{other_user.username} yes"})
        client.post(reverse("tweet_repost", args=[theirs.pk]))
        client.post(reverse("tweet_repost", args=[theirs.pk]))  # a repeat is not a new repost
        client.post(reverse("tweet_like", args=[theirs.pk]))
        client.post(reverse("tweet_unrepost", args=[theirs.pk]))
    after = scrape(client)
    for name, labels, added in [
        ("tweetstack_replies_total", {}, 1),
        ("tweetstack_reposts_total", {}, 1),
        ("tweetstack_reposts_undone_total", {}, 1),
        ("tweetstack_tweets_deleted_total", {}, 0),  # an undone repost is no tweet deleted
        ("tweetstack_tweets_posted_total", {}, 1),  # the reply; a repost is not a tweet posted
        ("tweetstack_notifications_total", {"kind": "reply"}, 1),
        ("tweetstack_notifications_total", {"kind": "mention"}, 0),  # the reply's notification says it
        ("tweetstack_notifications_total", {"kind": "repost"}, 1),
        ("tweetstack_notifications_total", {"kind": "like"}, 1),
    ]:
        assert value(after, name, **labels) == value(before, name, **labels) + added, (name, labels)


def test_searches_are_counted_once_page_or_api_not_per_next_page_nor_when_refused(client, user):
    TweetFactory.create_batch(25, author=user, text="counted search")
    name = "tweetstack_searches_total"
    before = value(scrape(client), name)
    page = client.get(reverse("search"), {"q": "counted"})
    assert page.status_code == 200
    cursor = page.context["page"].next_cursor
    assert client.get(reverse("search"), {"q": "counted", "cursor": cursor}).status_code == 200
    assert client.get("/api/search", {"q": "counted"}).status_code == 200
    assert client.get(reverse("search"), {"q": "x" * 101}).status_code == 400
    assert value(scrape(client), name) == before + 2


def test_every_rejection_reason_and_cache_result_is_exported_from_the_start(client):
    samples = scrape(client)
    reasons = {dict(lbls)["reason"] for n, lbls in samples if n == "tweetstack_image_uploads_rejected_total"}
    assert reasons == {"too_large", "not_an_image", "unsupported_format", "too_many_pixels", "corrupt"}
    results = {dict(lbls)["result"] for n, lbls in samples if n == "tweetstack_timeline_cache_requests_total"}
    assert results == {"hit", "miss"}
    kinds = {dict(lbls)["kind"] for n, lbls in samples if n == "tweetstack_notifications_total"}
    assert kinds == {"mention", "reply", "like", "follow", "repost"}


def test_timeline_cache_hits_and_misses_are_counted(client):
    name = "tweetstack_timeline_cache_requests_total"
    before = scrape(client)
    client.get(reverse("explore"))
    client.get(reverse("explore"))
    after = scrape(client)
    assert value(after, name, result="miss") == value(before, name, result="miss") + 1
    assert value(after, name, result="hit") == value(before, name, result="hit") + 1


def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert response.status_code == 200 and b"django_http" in response.content


def test_openmetrics_exposition_is_served_when_asked_for(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.rstrip().endswith(b"# EOF")
