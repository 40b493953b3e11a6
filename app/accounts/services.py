"""Writes on accounts and the follow graph."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Follow, User
from observability import metrics
from tweets import timeline_cache


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
