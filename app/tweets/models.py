from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone

TWEET_MAX_LENGTH = 280
HASHTAG_MAX_LENGTH = 100


class Hashtag(models.Model):
    # Lower-cased (tweets/entities.py): #Django and #django are one tag page.
    name = models.CharField(max_length=HASHTAG_MAX_LENGTH, unique=True)

    def __str__(self) -> str:
        return f"#{self.name}"


class Tweet(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets")
    text = models.CharField(max_length=TWEET_MAX_LENGTH)
    image = models.ImageField(upload_to="tweets/%Y/%m/", blank=True)
    thumbnail = models.ImageField(upload_to="tweets/%Y/%m/thumbs/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A reply is a tweet of its own (it enters timelines like any post); the parent's delete keeps it.
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    # A repost is a tweet with no text of its own, the way Mastodon stores a boost: it enters the
    # reposter's and their followers' timelines through the same fan-out, and goes with its original.
    repost_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="reposts"
    )
    hashtags = models.ManyToManyField(Hashtag, blank=True, related_name="tweets")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    # Kept by tweets.services in the transaction of each like, reply and repost and their undoing
    # (no COUNT per page). The newer two have a database default too: a replica of the previous release
    # still inserts tweets without them during a rolling deploy.
    like_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0, db_default=0)
    repost_count = models.PositiveIntegerField(default=0, db_default=0)

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
            # A tweet has text; a repost has none, and replies to nothing (a reply is to its original).
            models.CheckConstraint(
                condition=(Q(repost_of__isnull=True) & GreaterThanOrEqual(Length("text"), 1))
                | Q(repost_of__isnull=False, text="", reply_to__isnull=True),
                name="tweet_text_not_empty_unless_repost",
            ),
            models.UniqueConstraint(fields=["author", "repost_of"], name="repost_once"),
            models.CheckConstraint(condition=Q(like_count__gte=0), name="tweet_like_count_not_negative"),
            models.CheckConstraint(condition=Q(reply_count__gte=0), name="tweet_reply_count_not_negative"),
            models.CheckConstraint(condition=Q(repost_count__gte=0), name="tweet_repost_count_not_negative"),
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


class TimelineChange(models.Model):
    """A write the Redis timelines must reflect, stored in the write's own transaction (an outbox).

    Applied and deleted right after the commit; while Redis is unreachable the rows wait, and the next
    write that reaches Redis applies them, so a timeline never silently misses a post, delete, follow
    or unfollow (tweets/fanout.py).
    """

    class Kind(models.TextChoices):
        POST = "post"
        DELETE = "delete"
        FOLLOW = "follow"
        UNFOLLOW = "unfollow"
        # The author's followers fell to the fan-out threshold: their newest tweets go to every follower.
        FAN_OUT_AGAIN = "fanout"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # post/delete: the author and the tweet; follow/unfollow: follower and followee; fanout: the author.
    user_id = models.BigIntegerField()
    other_id = models.BigIntegerField()
    # A deleted tweet's score (its created_at in microseconds): the row is gone when this is applied.
    score = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} {self.other_id}"
