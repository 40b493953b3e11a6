from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual

DISPLAY_NAME_MAX_LENGTH = 50
BIO_MAX_LENGTH = 160


class User(AbstractUser):
    """The site's user; its own model from the start so the schema can grow without a painful swap."""

    # Kept by accounts.services in the transaction of each follow and unfollow, so a profile reads them
    # from its own row instead of counting a join whose size grows with followers x following.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    # Kept by notifications.services with each notification and its reading: the header shows it on
    # every page, from the row the session already loads. A database default too: a replica of the
    # previous release still creates users without it during a rolling deploy.
    unread_notifications = models.PositiveIntegerField(default=0, db_default=0)
    # The profile a user edits (accounts/profiles.py). Database defaults for the same reason: the previous
    # release's replicas create users without them.
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True, default="", db_default="")
    bio = models.CharField(max_length=BIO_MAX_LENGTH, blank=True, default="", db_default="")
    # Stored as tweet images are, through tweets/images.py (decoded, re-encoded, metadata stripped).
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True, default="", db_default="")

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            # @alice and @Alice would be one profile URL: names are unique whatever their case.
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ignoring_case"),
            models.CheckConstraint(
                condition=Q(followers_count__gte=0), name="user_followers_count_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(following_count__gte=0), name="user_following_count_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unread_notifications__gte=0), name="user_unread_notifications_not_negative"
            ),
            # SQLite does not enforce a varchar's length; these hold in every database.
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("display_name"), DISPLAY_NAME_MAX_LENGTH),
                name="user_display_name_max_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("bio"), BIO_MAX_LENGTH), name="user_bio_max_length"
            ),
        ]


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_links")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followee_id}"
