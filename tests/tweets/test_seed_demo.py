import io

import pytest
from django.core.management import call_command

from accounts.models import User
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def seed(**kwargs) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue()


def test_seeding_is_idempotent(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    first = seed(tweets=12)
    second = seed(tweets=12)
    assert Tweet.objects.filter(author__username="demo").count() == 12
    assert "(12 added)" in first and "(0 added)" in second
    assert "password" in first and "password" not in second  # printed once, at creation


def test_a_generated_password_is_printed_once_and_stored_hashed(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    output = seed(tweets=1)
    password = output.split("password: ")[1].split()[0]
    demo = User.objects.get(username="demo")
    assert demo.check_password(password)
    assert password not in demo.password


def test_the_password_can_come_from_the_environment_and_is_never_printed(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-env-9d7f")
    output = seed(tweets=1)
    assert "from-the-env-9d7f" not in output
    assert User.objects.get(username="demo").check_password("from-the-env-9d7f")


def test_seeding_more_tweets_later_adds_only_the_missing_ones():
    seed(tweets=5)
    assert "(10 added)" in seed(tweets=15)
    assert Tweet.objects.count() == 15


def test_some_sample_tweets_have_working_images(client, media_root):
    seed(tweets=10)
    with_images = Tweet.objects.exclude(image="")
    assert with_images.count() == 2
    for tweet in with_images:
        assert (media_root / tweet.image.name).is_file() and (media_root / tweet.thumbnail.name).is_file()
        response = client.get(f"/media/{tweet.thumbnail.name}")
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
