"""Each endpoint of the JSON API: what a program sends, what it gets back, and the errors' one shape."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import DISPLAY_NAME_MAX_LENGTH
from api import tokens
from api.models import AccessToken
from tests.conftest import image_bytes
from tests.factories import FollowFactory, TweetFactory, UserFactory
from tweets import services
from tweets.models import Like, Tweet

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


def test_posting_a_tweet_returns_it_and_it_is_in_the_home_timeline(api, user):
    response = api.post("/api/tweets", {"text": "  from a program  "})
    assert response.status_code == 201
    tweet = response.json()
    assert tweet["text"] == "from a program" and tweet["author"] == user.username
    home = api.get("/api/timelines/home").json()
    assert [item["tweet"]["id"] for item in home["items"]] == [tweet["id"]]
    assert home["next_cursor"] is None


def test_posting_with_an_image_stores_it(api):
    image = SimpleUploadedFile("p.png", image_bytes("PNG"), content_type="image/png")
    response = api.post("/api/tweets", {"text": "look", "image": image})
    assert response.status_code == 201
    assert response.json()["thumbnail_url"].startswith("/media/tweets/")


def test_a_bad_image_is_a_400_and_nothing_is_stored(api):
    bad = SimpleUploadedFile("x.jpg", b"not an image" * 10, content_type="image/jpeg")
    assert_error(api.post("/api/tweets", {"text": "oops", "image": bad}), 400, "not_an_image")
    assert not Tweet.objects.exists()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("\u200b\u2060\ufeff", "empty"),
        ("x" * 281, "too_long"),
        ("a\x00b", "null_characters_not_allowed"),
    ],
)
def test_text_that_breaks_the_rules_is_a_400_with_the_rules_code(api, text, code):
    assert_error(api.post("/api/tweets", {"text": text}), 400, code)
    assert not Tweet.objects.exists()


def test_a_reply_answers_its_tweet_and_shows_in_the_thread(api, other_user):
    parent = TweetFactory(author=other_user, text="question")
    reply = api.post("/api/tweets", {"text": "answer", "reply_to": parent.pk}).json()
    assert reply["reply_to_id"] == parent.pk
    thread = api.get(f"/api/tweets/{parent.pk}").json()
    assert thread["tweet"]["reply_count"] == 1
    assert [item["tweet"]["text"] for item in thread["replies"]["items"]] == ["answer"]
    assert api.get(f"/api/tweets/{reply['id']}").json()["ancestors"][0]["id"] == parent.pk


def test_replying_to_a_missing_tweet_is_a_404(api):
    assert_error(api.post("/api/tweets", {"text": "hi", "reply_to": 987654}), 404, "not_found")
    assert not Tweet.objects.exists()


def test_like_and_repost_toggle_and_say_whether_they_changed_anything(api, user, other_user):
    tweet = TweetFactory(author=other_user)
    assert api.post(f"/api/tweets/{tweet.pk}/like").json() == {"changed": True}
    assert api.post(f"/api/tweets/{tweet.pk}/like").json() == {"changed": False}
    assert api.post(f"/api/tweets/{tweet.pk}/repost").json() == {"changed": True}
    shown = api.get(f"/api/users/{user.username}/tweets").json()["items"][0]
    assert shown["reposted_by"] == user.username
    assert shown["tweet"]["liked"] and shown["tweet"]["reposted"] and shown["tweet"]["like_count"] == 1
    assert api.delete(f"/api/tweets/{tweet.pk}/repost").json() == {"changed": True}
    assert api.delete(f"/api/tweets/{tweet.pk}/like").json() == {"changed": True}
    assert not Like.objects.exists() and not Tweet.objects.filter(repost_of=tweet).exists()


def test_deleting_someone_elses_tweet_is_a_403(api, other_user):
    tweet = TweetFactory(author=other_user)
    assert_error(api.delete(f"/api/tweets/{tweet.pk}"), 403, "forbidden")
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_deleting_ones_own_tweet_is_a_204(api, user):
    tweet = TweetFactory(author=user)
    assert api.delete(f"/api/tweets/{tweet.pk}").status_code == 204
    assert_error(api.get(f"/api/tweets/{tweet.pk}"), 404, "not_found")


def test_follow_and_unfollow_keep_the_counts(api, user, other_user):
    assert api.post(f"/api/users/{other_user.username.upper()}/follow").json() == {"changed": True}
    profile = api.get(f"/api/users/{other_user.username}").json()
    assert profile == {
        "username": other_user.username,
        "display_name": "",
        "bio": "",
        "avatar_url": None,
        "followers": 1,
        "following": 0,
        "viewer_follows": True,
    }
    assert api.delete(f"/api/users/{other_user.username}/follow").json() == {"changed": True}
    assert api.get(f"/api/users/{other_user.username}").json()["followers"] == 0


def test_a_profile_edit_shows_on_the_profile_and_on_the_authors_tweets(
    api, user, django_capture_on_commit_callbacks
):
    api.post("/api/tweets", {"text": "before the edit"})
    api.get("/api/timelines/home")  # the author's row is cached now: the edit must evict it
    avatar = SimpleUploadedFile("a.png", image_bytes("PNG"), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/profile", {"display_name": " Ada\u0301 ", "bio": "Writes programs.", "avatar": avatar}
        )
    assert response.status_code == 200, response.content
    edited = response.json()
    assert edited["display_name"] == "Ad\u00e1" and edited["bio"] == "Writes programs."  # NFC, stripped
    assert edited["avatar_url"].startswith("/media/avatars/")
    assert api.get(f"/api/users/{user.username}").json() == edited
    tweet = api.get("/api/timelines/home").json()["items"][0]["tweet"]
    assert (tweet["author_display_name"], tweet["author_avatar_url"]) == ("Ad\u00e1", edited["avatar_url"])


def test_a_profile_field_left_out_keeps_its_value_and_remove_avatar_removes_it(api, user):
    avatar = SimpleUploadedFile("a.png", image_bytes("PNG"), content_type="image/png")
    api.post("/api/profile", {"display_name": "Ada", "bio": "Writes programs.", "avatar": avatar})
    edited = api.post("/api/profile", {"bio": "", "remove_avatar": "true"}).json()
    assert (edited["display_name"], edited["bio"], edited["avatar_url"]) == ("Ada", "", None)
    user.refresh_from_db()
    assert not user.avatar


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"display_name": "\u200b\u2060"}, "empty"),
        ({"display_name": "two\nlines"}, "control"),
        ({"display_name": "x" * (DISPLAY_NAME_MAX_LENGTH + 1)}, "too_long"),
        ({"bio": "a\x00b"}, "null_characters_not_allowed"),
        ({"avatar": "not an image"}, "not_an_image"),
    ],
)
def test_a_rejected_profile_edit_is_a_400_and_changes_nothing(api, user, fields, code):
    api.post("/api/profile", {"display_name": "Ada", "bio": "Writes programs."})
    if "avatar" in fields:
        fields = {"avatar": SimpleUploadedFile("x.png", b"not an image" * 10, content_type="image/png")}
    # The valid fields sent with the bad one are not applied either.
    assert_error(api.post("/api/profile", {"display_name": "Grace", "bio": "Other.", **fields}), 400, code)
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.avatar.name) == ("Ada", "Writes programs.", "")


def test_editing_a_profile_needs_a_signed_in_caller(client):
    assert_error(client.post("/api/profile", {"display_name": "Nobody"}), 401, "not_authenticated")


def test_following_oneself_is_a_400(api, user):
    assert_error(api.post(f"/api/users/{user.username}/follow"), 400, "self_follow")


def test_timelines_are_paginated_by_cursor(api, user, settings):
    settings.TIMELINE_PAGE_SIZE = 2
    for number in range(3):
        TweetFactory(author=user, text=f"number {number}")
    first = api.get("/api/timelines/explore").json()
    second = api.get("/api/timelines/explore", {"cursor": first["next_cursor"]}).json()
    texts = [item["tweet"]["text"] for item in first["items"] + second["items"]]
    assert texts == ["number 2", "number 1", "number 0"] and second["next_cursor"] is None


def test_a_malformed_cursor_is_a_400(api):
    assert_error(api.get("/api/timelines/explore", {"cursor": "!!"}), 400, "invalid_cursor")


def test_search_finds_tweets_and_people(api, user):
    UserFactory(username="searchable")
    TweetFactory(author=user, text="a searchable tweet")
    found = api.get("/api/search", {"q": "searchable"}).json()
    assert [item["tweet"]["text"] for item in found["tweets"]["items"]] == ["a searchable tweet"]
    assert found["users"] == ["searchable"]
    assert_error(api.get("/api/search", {"q": "x" * 101}), 400, "too_long")


def test_hashtags_have_a_timeline(api, user):
    services.tweet_create(author=user, text="about #Python")
    items = api.get("/api/tags/PYTHON").json()["items"]
    assert [item["tweet"]["text"] for item in items] == ["about #Python"]


def test_notifications_are_listed_with_the_unread_count_and_marked_read(api, user, other_user):
    FollowFactory(follower=other_user, followee=user)
    inbox = api.get("/api/notifications").json()
    assert inbox["unread"] == 1
    assert [(n["kind"], n["actor"], n["read"]) for n in inbox["items"]] == [
        ("follow", other_user.username, False)
    ]
    assert api.post("/api/notifications/read").status_code == 204
    assert api.get("/api/notifications").json()["unread"] == 0


def test_anonymous_callers_read_public_timelines_but_cannot_write(client, other_user):
    TweetFactory(author=other_user, text="public")
    assert client.get("/api/timelines/explore").json()["items"][0]["tweet"]["text"] == "public"
    assert_error(client.get("/api/timelines/home"), 401, "not_authenticated")
    assert_error(client.post("/api/tweets", {"text": "hi"}), 401, "not_authenticated")
    assert not Tweet.objects.filter(text="hi").exists()


def test_a_wrong_or_revoked_token_is_a_401_even_where_anonymous_reads_are_allowed(api, client, user, token):
    assert_error(
        Client(HTTP_AUTHORIZATION="Bearer tws_wrong").get("/api/timelines/explore"), 401, "not_authenticated"
    )
    token_id = AccessToken.objects.get(user=user).pk
    assert api.delete(f"/api/tokens/{token_id}").status_code == 204
    assert_error(api.get("/api/timelines/home"), 401, "not_authenticated")


def test_a_session_creates_lists_and_revokes_tokens_and_the_token_works(user, user_client):
    created = user_client.post("/api/tokens", {"name": "my script"}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("tws_") and body["prefix"] == body["token"][:12]
    assert AccessToken.objects.get(pk=body["id"]).digest != body["token"]  # only its digest is stored
    listed = user_client.get("/api/tokens").json()
    assert {row["name"] for row in listed} == {"my script"} and "token" not in listed[0]
    program = Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert program.post("/api/tweets", {"text": "by token"}).status_code == 201
    assert user_client.delete(f"/api/tokens/{body['id']}").status_code == 204
    assert_error(program.get("/api/timelines/home"), 401, "not_authenticated")
    assert_error(user_client.delete(f"/api/tokens/{body['id']}"), 404, "not_found")


def test_a_token_needs_a_name(user_client):
    response = user_client.post("/api/tokens", {"name": "  "}, content_type="application/json")
    assert_error(response, 400, "invalid_name")


def test_a_session_write_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/tweets", {"text": "forged"})
    assert response.status_code in (401, 403)
    assert "error" in response.json()
    assert not Tweet.objects.exists()


def test_a_request_that_does_not_match_the_schema_is_a_422_naming_the_field(api):
    error = assert_error(api.get("/api/tweets/not-a-number"), 422, "invalid_request")
    assert "tweet_id" in error["fields"]


def test_writes_are_rate_limited_like_the_pages(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "post": {"user": "2/m"}}
    assert api.post("/api/tweets", {"text": "one"}).status_code == 201
    assert api.post("/api/tweets", {"text": "two"}).status_code == 201
    response = api.post("/api/tweets", {"text": "three"})
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert Tweet.objects.count() == 2


def test_the_openapi_document_and_its_docs_page_are_served(client):
    document = client.get("/api/openapi.json").json()
    assert document["info"]["title"] == "Tweetstack API"
    assert {"/api/tweets", "/api/timelines/home", "/api/notifications", "/api/tokens"} <= set(
        document["paths"]
    )
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_the_tokens_page_creates_shows_once_and_revokes_a_token(user_client, user):
    page = user_client.post("/settings/tokens/", {"name": "cron job"})
    assert page.status_code == 200
    token = page.context["created"]
    assert f'<code id="new-token">{token}</code>' in page.text
    assert "cron job" in page.text
    again = user_client.get("/settings/tokens/").text
    assert token not in again and f"<code>{token[:12]}…</code>" in again
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/timelines/home").status_code == 200
    row = AccessToken.objects.get(user=user)
    response = user_client.post(f"/settings/tokens/{row.pk}/revoke/")
    assert response.status_code == 302 and "Token revoked." in user_client.get(response["Location"]).text
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/timelines/home").status_code == 401


def test_the_tokens_page_refuses_a_nameless_token_and_needs_a_login(user_client):
    page = user_client.post("/settings/tokens/", {"name": ""})
    assert page.status_code == 400 and "needs a name" in page.text
    assert not AccessToken.objects.exists()
    assert Client().get("/settings/tokens/").status_code == 302


def test_nobody_revokes_someone_elses_token(user_client, other_user):
    row, _ = tokens.token_create(user=other_user, name="theirs")
    user_client.post(f"/settings/tokens/{row.pk}/revoke/")
    assert AccessToken.objects.filter(pk=row.pk).exists()
