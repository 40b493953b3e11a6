import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import image_bytes, media_files
from tests.factories import LikeFactory, TweetFactory
from tweets.models import Like, Tweet

pytestmark = pytest.mark.django_db


def post_tweet(client, text="Hello world", image=None, **extra):
    data = {"text": text}
    if image is not None:
        data["image"] = image
    return client.post(reverse("tweet_create"), data, **extra)


def jpeg_upload(name="photo.jpg", content=None):
    return SimpleUploadedFile(
        name, content or image_bytes("JPEG", size=(800, 600)), content_type="image/jpeg"
    )


# Posting ------------------------------------------------------------------------------------------


def test_posting_redirects_to_the_timeline_with_a_success_message(user_client, user):
    response = post_tweet(user_client, "  My first tweet  ")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    page = user_client.get(response["Location"])
    assert "Tweet posted successfully!" in page.text
    assert "My first tweet" in page.text
    assert Tweet.objects.get().text == "My first tweet"
    assert Tweet.objects.get().author == user


def test_posting_with_an_image_stores_it_and_shows_the_thumbnail(user_client, media_root):
    post_tweet(user_client, "With a picture", image=jpeg_upload())
    tweet = Tweet.objects.get()
    assert tweet.image.name.endswith(".jpg") and tweet.thumbnail.name.endswith(".jpg")
    assert len(media_files(media_root)) == 2
    page = user_client.get(reverse("home"))
    assert f'src="/media/{tweet.thumbnail.name}"' in page.text
    assert 'alt="Image posted by @' in page.text


def test_anonymous_visitors_cannot_post(client):
    response = post_tweet(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Tweet.objects.exists()


def test_posting_without_a_csrf_token_is_refused(user, media_root):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post_tweet(client, image=jpeg_upload())
    assert response.status_code == 403
    assert "Your form expired" in response.text
    assert not Tweet.objects.exists()
    assert media_files(media_root) == []


BAD_POSTS = {
    "281 characters": ({"text": "a" * 281}, "at most 280 characters (it has 281)"),
    "empty": ({"text": ""}, "A tweet cannot be empty."),
    "whitespace only": ({"text": " \n\t "}, "A tweet cannot be empty."),
    "text file renamed .jpg": (
        {"text": "hi", "image": ("fake.jpg", b"this is not an image\n" * 20)},
        "not an image we can read",
    ),
    "truncated image": (
        {"text": "hi", "image": ("cut.png", image_bytes("PNG", size=(300, 300))[:400])},
        "damaged or truncated",
    ),
    "over the byte limit": (
        {"text": "hi", "image": ("big.png", image_bytes("PNG", size=(50, 50)) + b"\0" * 6_000_000)},
        "the limit is 5.0 MB",
    ),
}


@pytest.mark.parametrize("case", BAD_POSTS.values(), ids=BAD_POSTS.keys())
def test_bad_posts_get_a_clear_message_and_store_nothing(user_client, media_root, case):
    fields, message = case
    data = dict(fields)
    if "image" in data:
        name, content = data["image"]
        data["image"] = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = user_client.post(reverse("tweet_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Tweet.objects.exists()
    assert media_files(media_root) == []


def test_a_decompression_bomb_is_a_form_error(user_client, media_root):
    import struct
    import zlib

    png = bytearray(image_bytes("PNG", size=(1, 1)))
    png[16:24] = struct.pack(">II", 40000, 40000)
    png[29:33] = struct.pack(">I", zlib.crc32(png[12:29]))
    response = post_tweet(user_client, image=SimpleUploadedFile("bomb.png", bytes(png)))
    assert response.status_code == 400
    assert "too many pixels" in response.text
    assert not Tweet.objects.exists()
    assert media_files(media_root) == []


def test_a_failed_database_write_leaves_no_image_behind(user_client, media_root, monkeypatch):
    from django.db import DatabaseError

    def fail(*args, **kwargs):
        raise DatabaseError("simulated outage")

    monkeypatch.setattr(Tweet, "save", fail)
    with pytest.raises(DatabaseError):
        post_tweet(user_client, image=jpeg_upload())
    assert media_files(media_root) == []


# Reading ------------------------------------------------------------------------------------------


def test_explore_lists_everyones_tweets_newest_first_for_anonymous_readers(client):
    TweetFactory(text="older tweet")
    TweetFactory(text="newer tweet")
    response = client.get(reverse("explore"))
    assert response.status_code == 200
    assert response.text.index("newer tweet") < response.text.index("older tweet")


def test_home_shows_my_tweets_and_those_of_people_i_follow_only(user_client, user, other_user):
    from tests.factories import FollowFactory

    FollowFactory(follower=user, followee=other_user)
    TweetFactory(author=user, text="mine")
    TweetFactory(author=other_user, text="followed")
    TweetFactory(text="stranger")
    page = user_client.get(reverse("home")).text
    assert "mine" in page and "followed" in page
    assert "stranger" not in page


def test_anonymous_home_redirects_to_explore(client):
    assert client.get(reverse("home"))["Location"] == reverse("explore")


def test_profile_shows_the_users_tweets_and_counts(client, user, other_user):
    from tests.factories import FollowFactory

    FollowFactory(follower=other_user, followee=user)
    TweetFactory(author=user, text="on my profile")
    TweetFactory(author=other_user, text="not mine")
    page = client.get(f"/@{user.username}")
    assert page.status_code == 200
    assert "on my profile" in page.text and "not mine" not in page.text
    assert "1 followers" in page.text and "0 following" in page.text


@pytest.mark.parametrize("route", ["explore", "home"])
def test_timelines_answer_head_as_get_without_a_body(client, user, route):
    # Load balancers and uptime checks probe with HEAD; @require_GET answered them 405.
    response = client.head(reverse(route))
    assert response.status_code == client.get(reverse(route)).status_code
    assert response.status_code in (200, 302)
    assert response.content == b""


def test_a_profile_answers_head(client, user):
    assert client.head(reverse("profile", args=[user.username])).status_code == 200


def test_unknown_profile_is_404(client, db):
    assert client.get("/@nobody-here").status_code == 404


@pytest.mark.parametrize("cursor", ["garbage", "!!!", "x" * 5000, "MTp4", "LTE6LTE", "MToxOjE"])
def test_a_bad_page_cursor_is_a_400_with_a_message(client, db, cursor):
    response = client.get(reverse("explore"), {"cursor": cursor})
    assert response.status_code == 400
    assert "page link is not valid" in response.text


def test_pages_follow_the_cursor_without_gaps_or_repeats(client):
    tweets = TweetFactory.create_batch(45)
    seen, url = [], reverse("explore")
    while url:
        response = client.get(url)
        seen += [int(i) for i in __import__("re").findall(r'id="tweet-(\d+)"', response.text)]
        cursor = response.context["page"].next_cursor
        url = f"{reverse('explore')}?cursor={cursor}" if cursor else None
    assert seen == sorted((t.pk for t in tweets), reverse=True)


# Likes, deletes -----------------------------------------------------------------------------------


def test_like_and_unlike_change_the_count(user_client, user):
    tweet = TweetFactory()
    user_client.post(reverse("tweet_like", args=[tweet.pk]))
    assert '<span aria-hidden="true">♥</span> 1</button>' in user_client.get(reverse("explore")).text
    user_client.post(reverse("tweet_unlike", args=[tweet.pk]))
    assert not Like.objects.exists()


def test_liking_twice_is_idempotent(user_client, user):
    tweet = TweetFactory()
    first = user_client.post(reverse("tweet_like", args=[tweet.pk]))
    second = user_client.post(reverse("tweet_like", args=[tweet.pk]))
    assert first.status_code == second.status_code == 302
    assert Like.objects.filter(tweet=tweet, user=user).count() == 1


@pytest.mark.parametrize("action", ["tweet_like", "tweet_unlike", "tweet_delete"])
def test_acting_on_a_missing_tweet_is_404(user_client, action):
    response = user_client.post(reverse(action, args=[999999]))
    assert response.status_code == 404
    assert "nothing at this address" in response.text


def test_deleting_my_tweet_removes_it_and_its_files(
    user_client, media_root, django_capture_on_commit_callbacks
):
    post_tweet(user_client, image=jpeg_upload())
    tweet = Tweet.objects.get()
    LikeFactory(tweet=tweet)
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(reverse("tweet_delete", args=[tweet.pk]))
    assert response.status_code == 302
    assert not Tweet.objects.exists() and not Like.objects.exists()
    assert media_files(media_root) == []


def test_deleting_someone_elses_tweet_is_forbidden(user_client, other_user):
    tweet = TweetFactory(author=other_user)
    response = user_client.post(reverse("tweet_delete", args=[tweet.pk]))
    assert response.status_code == 403
    assert "only delete your own tweets" in response.text
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_redirect_after_an_action_never_leaves_the_site(user_client):
    tweet = TweetFactory()
    response = user_client.post(reverse("tweet_like", args=[tweet.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("home")
    response = user_client.post(reverse("tweet_unlike", args=[tweet.pk]), {"next": "/explore/"})
    assert response["Location"] == "/explore/"


# Media --------------------------------------------------------------------------------------------


def test_images_are_served_with_debug_off(user_client, settings):
    settings.DEBUG = False
    post_tweet(user_client, image=jpeg_upload())
    tweet = Tweet.objects.get()
    response = user_client.get(f"/media/{tweet.thumbnail.name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
