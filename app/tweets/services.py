"""Writes on tweets and likes. Views and the API call these; nothing else changes tweet data."""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import User
from observability import metrics
from tweets import fanout
from tweets.images import ImageRejected, process_image
from tweets.models import Like, Tweet
from tweets.pages import row_key
from tweets.text import clean_tweet_text


def tweet_create(*, author: User, text: str, image: UploadedFile | None = None) -> Tweet:
    text = clean_tweet_text(text)
    try:
        processed = process_image(image) if image else None
    except ImageRejected as rejection:
        metrics.IMAGE_REJECTIONS.labels(reason=rejection.reason).inc()
        raise
    tweet = Tweet(author=author, text=text)
    try:
        with transaction.atomic():
            if processed:
                tweet.image.save(processed.image.name, processed.image, save=False)
                tweet.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
            tweet.save()
            fanout.record_post(tweet)
            transaction.on_commit(metrics.TWEETS_POSTED.inc)
    except BaseException:
        # The row was not stored, so neither may its files be.
        _delete_files(tweet)
        raise
    return tweet


def tweet_delete(*, tweet: Tweet, user: User) -> None:
    if tweet.author_id != user.pk:
        raise PermissionDenied("You can only delete your own tweets.")
    with transaction.atomic():
        tweet_id = tweet.pk
        tweet.delete()
        fanout.record_delete(tweet, tweet_id)
        transaction.on_commit(lambda: _evict(tweet_id))
        transaction.on_commit(lambda: _delete_files(tweet))
        transaction.on_commit(metrics.TWEETS_DELETED.inc)


def tweet_like(*, tweet: Tweet, user: User) -> bool:
    """Like a tweet; liking it again changes nothing. Returns whether a like was added."""
    try:
        with transaction.atomic():
            _, created = Like.objects.get_or_create(tweet=tweet, user=user)
            if created:
                Tweet.objects.filter(pk=tweet.pk).update(like_count=F("like_count") + 1)
                transaction.on_commit(lambda: _evict(tweet.pk))
    except IntegrityError:
        # A concurrent request stored the same like first: the outcome the user wanted.
        return False
    if created:
        metrics.LIKES.inc()
    return created


@transaction.atomic
def tweet_unlike(*, tweet: Tweet, user: User) -> bool:
    deleted, _ = Like.objects.filter(tweet=tweet, user=user).delete()
    if deleted:
        Tweet.objects.filter(pk=tweet.pk).update(like_count=F("like_count") - 1)
        transaction.on_commit(lambda: _evict(tweet.pk))
    return bool(deleted)


def _evict(tweet_id: int) -> None:
    # Its cached row (tweets/pages.py) shows the old like count, or a tweet that is gone.
    cache.delete(row_key(tweet_id))


def _delete_files(tweet: Tweet) -> None:
    for field in (tweet.image, tweet.thumbnail):
        if field:
            field.storage.delete(field.name)
