import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Follow, User
from tests.factories import FollowFactory, LikeFactory, TweetFactory, UserFactory
from tweets.models import Like, Tweet

pytestmark = pytest.mark.django_db


def test_database_rejects_text_over_280_characters():
    # varchar(280) refuses it before the check constraint is evaluated.
    with pytest.raises(DataError):
        TweetFactory(text="x" * 281)


def test_database_accepts_280_characters_of_multibyte_text():
    tweet = TweetFactory(text="🙂" * 280)
    tweet.refresh_from_db()
    assert len(tweet.text) == 280


def test_database_rejects_empty_text():
    with pytest.raises(IntegrityError):
        TweetFactory(text="")


def test_database_rejects_a_second_like_by_the_same_user():
    like = LikeFactory()
    with pytest.raises(IntegrityError):
        Like.objects.create(user=like.user, tweet=like.tweet)


def test_database_rejects_following_twice():
    follow = FollowFactory()
    with pytest.raises(IntegrityError):
        Follow.objects.create(follower=follow.follower, followee=follow.followee)


def test_database_rejects_self_follow():
    user = UserFactory()
    with pytest.raises(IntegrityError):
        Follow.objects.create(follower=user, followee=user)


def test_deleting_a_user_leaves_no_orphans():
    author = UserFactory()
    tweet = TweetFactory(author=author)
    LikeFactory(tweet=tweet)
    LikeFactory(user=author)
    FollowFactory(follower=author)
    FollowFactory(followee=author)
    author.delete()
    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    assert not Like.objects.filter(tweet=tweet).exists()
    assert not Like.objects.filter(user_id=author.pk).exists()
    assert not Follow.objects.filter(follower_id=author.pk).exists()
    assert not Follow.objects.filter(followee_id=author.pk).exists()


def test_timeline_indexes_exist_in_the_database():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Tweet._meta.db_table)
    columns = {name: info["columns"] for name, info in constraints.items() if info["index"]}
    assert columns["tweet_timeline_idx"] == ["created_at", "id"]
    assert columns["tweet_author_timeline_idx"] == ["author_id", "created_at", "id"]


# Ported from the original project's TweetModelTest.
def test_tweet_creation_with_text_only():
    author = UserFactory()
    tweet = Tweet.objects.create(text="This is a test tweet", author=author)
    assert (tweet.text, tweet.author, tweet.image.name) == ("This is a test tweet", author, "")
    assert tweet.created_at is not None


def test_model_validation_rejects_281_characters():
    with pytest.raises(ValidationError, match="at most 280 characters"):
        Tweet(text="x" * 281, author=UserFactory()).full_clean()


def test_postgresql_refuses_text_that_is_not_nfc_normalized(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Tweet.objects.create(author=user, text="cafe\u0301")
    assert not Tweet.objects.exists()


def test_a_tweet_of_zero_width_spaces_is_a_form_error_and_stores_nothing(user_client):
    response = user_client.post(reverse("tweet_create"), {"text": "\u200b\u200b\u2060"})
    assert response.status_code == 400 and "cannot be empty" in response.text
    assert not Tweet.objects.exists()


def test_rows_inserted_without_the_newer_counts_get_zero(user):
    # What a replica of the previous release does during a rolling deploy: it knows no reply,
    # repost or unread counts, and its inserts must still succeed.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tweets_tweet (author_id, text, image, thumbnail, created_at, like_count)"
            " VALUES (%s, 'from an old replica', '', '', %s, 0)",
            [user.pk, timezone.now()],
        )
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,"
            " is_staff, is_active, date_joined, followers_count, following_count)"
            " VALUES ('', false, 'oldsignup', '', '', '', false, true, %s, 0, 0)",
            [timezone.now()],
        )
    tweet = Tweet.objects.get(text="from an old replica")
    assert (tweet.reply_count, tweet.repost_count) == (0, 0)
    assert User.objects.get(username="oldsignup").unread_notifications == 0
