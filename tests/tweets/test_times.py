"""Relative times: rendered on the server, with the absolute time in <time>'s datetime and title."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from tests.factories import TweetFactory
from tweets.times import relative_label

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (timedelta(seconds=-30), "now"),
        (timedelta(seconds=59), "now"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=2, minutes=30), "2h"),
        (timedelta(hours=23, minutes=59), "23h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=6, hours=23), "6d"),
        (timedelta(days=7), "Jun 8"),
        (timedelta(days=200), "Nov 27, 2025"),
    ],
)
def test_the_label_for_an_age(age, label):
    assert relative_label(NOW - age, NOW) == label


def test_dates_beyond_a_week_follow_the_active_time_zone():
    late = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    with timezone.override("Asia/Tokyo"):
        assert relative_label(late, NOW) == "Jun 2"
    assert relative_label(late, NOW) == "Jun 1"


def test_the_tag_gives_machine_and_absolute_times():
    when = timezone.now() - timedelta(minutes=3, microseconds=123)
    html = Template("{% load relative_time %}{% relative_time when %}").render(Context({"when": when}))
    iso = timezone.localtime(when).isoformat(timespec="seconds")
    assert html == f'<time datetime="{iso}" title="{when:%b} {when.day}, {when:%Y %H:%M}">3m</time>'


@pytest.mark.django_db
def test_a_timeline_shows_relative_times_without_javascript(client):
    TweetFactory(created_at=timezone.now() - timedelta(hours=5))
    TweetFactory(created_at=datetime(2024, 3, 9, 8, 5, tzinfo=UTC))
    page = client.get(reverse("explore")).text
    assert 'title="Mar 9, 2024 08:05">Mar 9, 2024</time>' in page
    assert ">5h</time>" in page
