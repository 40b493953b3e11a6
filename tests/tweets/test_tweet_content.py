"""A tweet's content (author, time, text, image) is rendered once per worker; the footer per request."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import TweetFactory
from tweets.pages import TweetRow
from tweets.templatetags.tweet_content import _render

pytestmark = pytest.mark.django_db

ROW = TweetRow(
    id=7,
    author_username="ada",
    text="first line\n<b>second</b>",
    image_name="",
    thumbnail_name="",
    created_at=datetime(2026, 1, 2, 23, 30, tzinfo=UTC),
    like_count=3,
)


def render(row: TweetRow) -> str:
    return Template("{% load tweet_content %}{% tweet_content tweet %}").render(Context({"tweet": row}))


def test_the_content_shows_author_time_and_escaped_text():
    html = render(ROW)
    assert f'href="{reverse("profile", args=["ada"])}">@ada</a>' in html
    # The label ("Jan 2", or with its year from next year on) is tests/tweets/test_times.py's.
    assert '<time datetime="2026-01-02T23:30:00+00:00" title="Jan 2, 2026 23:30">Jan 2' in html
    assert "first line<br>&lt;b&gt;second&lt;/b&gt;" in html


def test_a_tweet_is_rendered_once_whatever_its_like_count():
    render(ROW)
    hits = _render.cache_info().hits
    assert render(TweetRow(**{**ROW.__dict__, "like_count": 4})) == render(ROW)
    assert _render.cache_info().hits == hits + 2


def test_the_time_follows_the_active_time_zone():
    with timezone.override("Asia/Tokyo"):
        assert 'datetime="2026-01-03T08:30:00+09:00" title="Jan 3, 2026 08:30">Jan 3' in render(ROW)
    assert 'title="Jan 2, 2026 23:30">Jan 2' in render(ROW)


def test_the_footer_shows_a_new_like_count_and_the_viewers_own_buttons(
    user_client, user, django_capture_on_commit_callbacks
):
    tweet = TweetFactory(author=user)
    anonymous = Client()
    assert "♥ 0 likes" in anonymous.get(reverse("explore")).text
    with django_capture_on_commit_callbacks(execute=True):  # the timeline cache's invalidation
        user_client.post(reverse("tweet_like", args=[tweet.pk]))
    assert "♥ 1 likes" in anonymous.get(reverse("explore")).text
    mine = user_client.get(reverse("explore")).text
    assert 'aria-pressed="true"' in mine and "Delete" in mine
    assert "Delete" not in anonymous.get(reverse("explore")).text
