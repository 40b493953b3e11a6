"""Writes on tweets, replies, reposts and likes. Views and the API call these; nothing else changes
tweet data."""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower

from accounts.models import User
from notifications import services as notifications
from tweets import fanout, metrics
from tweets.entities import find_entities
from tweets.images import ImageRejected, process_image
from tweets.models import Hashtag, Like, Tweet
from tweets.pages import row_key
from tweets.text import clean_tweet_text

Kind = notifications.Kind


def tweet_create(
    *, author: User, text: str, image: UploadedFile | None = None, reply_to: Tweet | None = None
) -> Tweet:
    """Post a tweet, or with reply_to a reply (to the original, if reply_to is a repost)."""
    text = clean_tweet_text(text)
    try:
        processed = process_image(image) if image else None
    except ImageRejected as rejection:
        metrics.IMAGE_REJECTIONS.labels(reason=rejection.reason).inc()
        raise
    parent = _original(reply_to) if reply_to else None
    tweet = Tweet(author=author, text=text, reply_to=parent)
    try:
        with transaction.atomic():
            if processed:
                tweet.image.save(processed.image.name, processed.image, save=False)
                tweet.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
            tweet.save()
            mentioned = _store_entities(tweet)
            if parent:
                Tweet.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
                transaction.on_commit(lambda: _evict(parent.pk))
                notifications.notify(
                    recipient_ids=[parent.author_id], actor=author, kind=Kind.REPLY, tweet=tweet
                )
                mentioned.discard(parent.author_id)  # told once, of the reply
                transaction.on_commit(metrics.REPLIES.inc)
            notifications.notify(recipient_ids=mentioned, actor=author, kind=Kind.MENTION, tweet=tweet)
            fanout.record_post(tweet)
            transaction.on_commit(metrics.TWEETS_POSTED.inc)
    except BaseException:
        # The row was not stored, so neither may its files be.
        _delete_files(tweet)
        raise
    return tweet


def tweet_delete(*, tweet: Tweet, user: User) -> None:
    """Delete a tweet with its reposts; its replies stay, replying to nothing. Deleting a repost undoes it."""
    if tweet.author_id != user.pk:
        raise PermissionDenied("You can only delete your own tweets.")
    with transaction.atomic():
        tweet_id = tweet.pk
        reposts = list(Tweet.objects.filter(repost_of_id=tweet_id).only("id", "author_id", "created_at"))
        replies = list(Tweet.objects.filter(reply_to_id=tweet_id).values_list("id", flat=True))
        notifications.forget_tweets([tweet_id, *(repost.pk for repost in reposts)])
        for parent_id, counter in ((tweet.reply_to_id, "reply_count"), (tweet.repost_of_id, "repost_count")):
            if parent_id:
                Tweet.objects.filter(pk=parent_id).update(**{counter: F(counter) - 1})
        tweet.delete()
        for repost in reposts:
            fanout.record_delete(repost, repost.pk)
        fanout.record_delete(tweet, tweet_id)
        # Their rows show this tweet: its counts, or whom a reply answers.
        evicted = [tweet_id, tweet.reply_to_id, tweet.repost_of_id, *(r.pk for r in reposts), *replies]
        transaction.on_commit(lambda: cache.delete_many([row_key(pk) for pk in evicted if pk]))
        transaction.on_commit(lambda: _delete_files(tweet))
        # An undone repost is not a tweet deleted (nor was it one posted).
        transaction.on_commit(
            metrics.REPOSTS_UNDONE.inc if tweet.repost_of_id else metrics.TWEETS_DELETED.inc
        )


def tweet_repost(*, tweet: Tweet, user: User) -> bool:
    """Repost a tweet (its original, if it is a repost); reposting again changes nothing. Returns
    whether a repost was added."""
    original = _original(tweet)
    try:
        with transaction.atomic():
            repost, created = Tweet.objects.get_or_create(
                author=user, repost_of=original, defaults={"text": ""}
            )
            if created:
                Tweet.objects.filter(pk=original.pk).update(repost_count=F("repost_count") + 1)
                notifications.notify(
                    recipient_ids=[original.author_id], actor=user, kind=Kind.REPOST, tweet=repost
                )
                fanout.record_post(repost)
                transaction.on_commit(lambda: _evict(original.pk))
    except IntegrityError:
        return False  # a concurrent request stored the same repost first
    if created:
        metrics.REPOSTS.inc()
    return created


def tweet_unrepost(*, tweet: Tweet, user: User) -> bool:
    repost = Tweet.objects.filter(author=user, repost_of=_original(tweet)).first()
    if repost is None:
        return False
    tweet_delete(tweet=repost, user=user)
    return True


def tweet_like(*, tweet: Tweet, user: User) -> bool:
    """Like a tweet (its original, if it is a repost); liking it again changes nothing. Returns
    whether a like was added."""
    tweet = _original(tweet)
    try:
        with transaction.atomic():
            _, created = Like.objects.get_or_create(tweet=tweet, user=user)
            if created:
                Tweet.objects.filter(pk=tweet.pk).update(like_count=F("like_count") + 1)
                notifications.notify(recipient_ids=[tweet.author_id], actor=user, kind=Kind.LIKE, tweet=tweet)
                transaction.on_commit(lambda: _evict(tweet.pk))
    except IntegrityError:
        # A concurrent request stored the same like first: the outcome the user wanted.
        return False
    if created:
        metrics.LIKES.inc()
    return created


@transaction.atomic
def tweet_unlike(*, tweet: Tweet, user: User) -> bool:
    tweet = _original(tweet)
    deleted, _ = Like.objects.filter(tweet=tweet, user=user).delete()
    if deleted:
        Tweet.objects.filter(pk=tweet.pk).update(like_count=F("like_count") - 1)
        notifications.withdraw(recipient_id=tweet.author_id, actor=user, kind=Kind.LIKE, tweet=tweet)
        transaction.on_commit(lambda: _evict(tweet.pk))
    return bool(deleted)


def _original(tweet: Tweet) -> Tweet:
    # A repost's actions (like, reply, repost) are its original's, as its page shows them.
    return tweet.repost_of if tweet.repost_of_id and tweet.repost_of else tweet


def _store_entities(tweet: Tweet) -> set[int]:
    """Link the tweet to its hashtags and to the users it mentions; returns those users' ids."""
    entities = find_entities(tweet.text)
    if entities.hashtags:
        Hashtag.objects.bulk_create([Hashtag(name=name) for name in entities.hashtags], ignore_conflicts=True)
        tweet.hashtags.add(*Hashtag.objects.filter(name__in=entities.hashtags))
    mentioned = (
        set(
            User.objects.alias(name=Lower("username"))
            .filter(name__in=entities.usernames)
            .values_list("pk", flat=True)
        )
        if entities.usernames
        else set()
    )
    if mentioned:
        tweet.mentions.add(*mentioned)
    return mentioned


def _evict(tweet_id: int) -> None:
    # Its cached row (tweets/pages.py) shows the old counts, or a tweet that is gone.
    cache.delete(row_key(tweet_id))


def _delete_files(tweet: Tweet) -> None:
    for field in (tweet.image, tweet.thumbnail):
        if field:
            field.storage.delete(field.name)
