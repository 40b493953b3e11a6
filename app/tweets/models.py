from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone

TWEET_MAX_LENGTH = 280


class Tweet(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets")
    text = models.CharField(max_length=TWEET_MAX_LENGTH)
    image = models.ImageField(upload_to="tweets/%Y/%m/", blank=True)
    thumbnail = models.ImageField(upload_to="tweets/%Y/%m/thumbs/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Keyset pagination walks these in order: Explore uses the first, profiles and Home the second.
            models.Index(fields=["-created_at", "-id"], name="tweet_timeline_idx"),
            models.Index(fields=["author", "-created_at", "-id"], name="tweet_author_timeline_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), TWEET_MAX_LENGTH), name="tweet_text_max_length"
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("text"), 1), name="tweet_text_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.text[:40]}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tweet"], name="like_once")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.tweet_id}"
