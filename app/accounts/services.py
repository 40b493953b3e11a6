"""Writes on accounts and the follow graph."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Follow, User
from observability import metrics
from tweets import timeline_cache


@transaction.atomic
def user_signup(*, username: str, password: str) -> User:
    user = User.objects.create_user(username=username, password=password)
    transaction.on_commit(metrics.SIGNUPS.inc)
    return user


def user_follow(*, follower: User, followee: User) -> bool:
    """Follow someone; following again changes nothing. Returns whether a follow was added."""
    if follower.pk == followee.pk:
        raise ValidationError("You cannot follow yourself.", code="self_follow")
    try:
        with transaction.atomic():
            _, created = Follow.objects.get_or_create(follower=follower, followee=followee)
    except IntegrityError:
        return False
    if created:
        # Home timelines include followees' tweets.
        timeline_cache.invalidate()
        metrics.FOLLOWS.inc()
    return created


def user_unfollow(*, follower: User, followee: User) -> bool:
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        timeline_cache.invalidate()
    return bool(deleted)
