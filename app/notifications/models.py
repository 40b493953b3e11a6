from django.conf import settings
from django.db import models
from django.utils import timezone

from notifications.kinds import Kind


class Notification(models.Model):
    """Something another user did that concerns the recipient: written by notifications.services in the
    transaction of that action, and withdrawn with it (an unlike takes its like's notification back)."""

    Kind = Kind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The tweet the action made or touched (the reply, the mentioning tweet, the repost, the liked
    # tweet); none for a follow.
    tweet = models.ForeignKey(
        "tweets.Tweet", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} by {self.actor_id}"
