"""The kinds of notification: the model's choices and the metric's label values (no model import, so
notifications.metrics can read them before the apps are loaded)."""

from django.db import models


class Kind(models.TextChoices):
    MENTION = "mention"
    REPLY = "reply"
    LIKE = "like"
    FOLLOW = "follow"
    REPOST = "repost"
