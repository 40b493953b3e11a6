"""Writes on accounts and the follow graph."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts import metrics
from accounts.models import Follow, User
from notifications import services as notifications
from tweets import fanout
from tweets.models import TimelineChange


def user_signup(*, username: str, password: str) -> User:
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password)
    except IntegrityError:
        # The form checked the name first; a sign-up racing for the same name (any case) loses here.
        raise ValidationError("A user with that username already exists.", code="username_taken") from None
    transaction.on_commit(metrics.SIGNUPS.inc)
    return user


def user_follow(*, follower: User, followee: User) -> bool:
    """Follow someone; following again changes nothing. Returns whether a follow was added."""
    if follower.pk == followee.pk:
        raise ValidationError("You cannot follow yourself.", code="self_follow")
    try:
        with transaction.atomic():
            _, created = Follow.objects.get_or_create(follower=follower, followee=followee)
            if created:
                _count(follower=follower, followee=followee, change=1)
                fanout.record(TimelineChange.Kind.FOLLOW, follower.pk, followee.pk)
                notifications.notify(
                    recipient_ids=[followee.pk], actor=follower, kind=notifications.Kind.FOLLOW
                )
    except IntegrityError:
        return False
    if created:
        metrics.FOLLOWS.inc()
    return created


@transaction.atomic
def user_unfollow(*, follower: User, followee: User) -> bool:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        _count(follower=follower, followee=followee, change=-1)
        fanout.record(TimelineChange.Kind.UNFOLLOW, follower.pk, followee.pk)
        notifications.withdraw(recipient_id=followee.pk, actor=follower, kind=notifications.Kind.FOLLOW)
        followers = User.objects.values_list("followers_count", flat=True).get(pk=followee.pk)
        if followers == settings.TIMELINE_FANOUT_MAX_FOLLOWERS:
            fanout.record(TimelineChange.Kind.FAN_OUT_AGAIN, followee.pk, 0)
    return bool(deleted)


def _count(*, follower: User, followee: User, change: int) -> None:
    User.objects.filter(pk=follower.pk).update(following_count=F("following_count") + change)
    User.objects.filter(pk=followee.pk).update(followers_count=F("followers_count") + change)
