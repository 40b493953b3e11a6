"""Writes on notifications, called inside the transaction of the action that causes them.

A user's row keeps their unread count (User.unread_notifications). Every write here that changes it
locks the recipients' rows first, in id order, so a notification, its withdrawal and the inbox's
marking read never deadlock and the count never drifts from the unread rows."""

from collections import Counter
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet

from accounts.models import User
from notifications import metrics
from notifications.models import Notification
from tweets.models import Tweet

Kind = Notification.Kind


def notify(*, recipient_ids: Iterable[int], actor: User, kind: str, tweet: Tweet | None = None) -> None:
    """Tell these users what actor did (nobody is told of their own action)."""
    recipients = sorted(set(recipient_ids) - {actor.pk})
    if not recipients:
        return
    _lock(recipients)
    Notification.objects.bulk_create(
        Notification(recipient_id=recipient, actor=actor, kind=kind, tweet=tweet) for recipient in recipients
    )
    User.objects.filter(pk__in=recipients).update(unread_notifications=F("unread_notifications") + 1)
    transaction.on_commit(lambda: metrics.NOTIFICATIONS.labels(kind=kind).inc(len(recipients)))


def withdraw(*, recipient_id: int, actor: User, kind: str, tweet: Tweet | None = None) -> None:
    """Take back the notification of an action undone (an unlike, an unfollow)."""
    _lock([recipient_id])
    _delete(Notification.objects.filter(recipient_id=recipient_id, actor=actor, kind=kind, tweet=tweet))


def forget_tweets(tweet_ids: list[int]) -> None:
    """Before these tweets are deleted: their notifications go, and with them their unread counts."""
    notifications = Notification.objects.filter(tweet_id__in=tweet_ids)
    _lock(notifications.values_list("recipient_id", flat=True).distinct())
    _delete(notifications)


@transaction.atomic
def notifications_mark_read(*, user: User) -> None:
    # The count first: it locks the row, so a notification written meanwhile is either marked here
    # or counted after.
    User.objects.filter(pk=user.pk).update(unread_notifications=0)
    Notification.objects.filter(recipient=user, read=False).update(read=True)


def _lock(user_ids: Iterable[int]) -> None:
    list(User.objects.select_for_update().filter(pk__in=list(user_ids)).order_by("pk").values_list("pk"))


def _delete(notifications: QuerySet[Notification]) -> None:
    unread = Counter(notifications.filter(read=False).values_list("recipient_id", flat=True))
    notifications.delete()
    for recipient, count in unread.items():
        User.objects.filter(pk=recipient).update(unread_notifications=F("unread_notifications") - count)
