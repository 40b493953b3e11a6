from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower


class User(AbstractUser):
    """The site's user; its own model from the start so the schema can grow without a painful swap."""

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            # @alice and @Alice would be one profile URL: names are unique whatever their case.
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ignoring_case"),
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
