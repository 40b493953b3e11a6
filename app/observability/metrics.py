"""Business metrics. Names follow Prometheus conventions; every label value comes from a fixed set."""

from prometheus_client import Counter, Gauge

from notifications.kinds import Kind as NotificationKind
from tweets.images import REJECTION_REASONS

RATE_LIMIT_SCOPES = ("login", "signup", "post", "like")

TWEETS_POSTED = Counter("tweetstack_tweets_posted_total", "Tweets stored.")
TWEETS_DELETED = Counter("tweetstack_tweets_deleted_total", "Tweets deleted by their author.")
REPLIES = Counter("tweetstack_replies_total", "Replies stored (a reply is also a tweet posted).")
REPOSTS = Counter("tweetstack_reposts_total", "Reposts added (a repeated repost is not counted).")
REPOSTS_UNDONE = Counter("tweetstack_reposts_undone_total", "Reposts undone by their reposter.")
NOTIFICATIONS = Counter("tweetstack_notifications_total", "Notifications sent, by kind.", ["kind"])
LIKES = Counter("tweetstack_likes_total", "Likes added (a repeated like is not counted).")
FOLLOWS = Counter("tweetstack_follows_total", "Follows added (a repeated follow is not counted).")
PROFILE_UPDATES = Counter("tweetstack_profile_updates_total", "Profile edits saved.")
SEARCHES = Counter("tweetstack_searches_total", "Searches run, page or API (a next page is not a new one).")
SIGNUPS = Counter("tweetstack_signups_total", "Accounts created.")
LOGIN_FAILURES = Counter("tweetstack_login_failures_total", "Failed login attempts.")
IMAGE_REJECTIONS = Counter(
    "tweetstack_image_uploads_rejected_total", "Image uploads refused, by reason.", ["reason"]
)
RATE_LIMITED = Counter("tweetstack_rate_limited_total", "Requests refused with 429, by scope.", ["scope"])
TIMELINE_CACHE = Counter(
    "tweetstack_timeline_cache_requests_total", "Timeline page cache look-ups, by result.", ["result"]
)

# Export every series from the start, so rates and ratios exist before the first event.
for reason in REJECTION_REASONS:
    IMAGE_REJECTIONS.labels(reason=reason)
for kind in NotificationKind.values:
    NOTIFICATIONS.labels(kind=kind)
for result in ("hit", "miss"):
    TIMELINE_CACHE.labels(result=result)
for scope in RATE_LIMIT_SCOPES:
    RATE_LIMITED.labels(scope=scope)

# Per process, and per replica as the worst of its workers (livemax: dead workers drop out).
CIRCUIT_BREAKER_STATE = Gauge(
    "tweetstack_circuit_breaker_state",
    "State of a dependency's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ["dependency"],
    multiprocess_mode="livemax",
)
CIRCUIT_BREAKER_TRANSITIONS = Counter(
    "tweetstack_circuit_breaker_transitions_total",
    "Circuit breaker state changes, by dependency and the state entered.",
    ["dependency", "state"],
)
for dependency in ("redis", "postgres"):
    CIRCUIT_BREAKER_STATE.labels(dependency=dependency).set(0)
    for state in ("closed", "half-open", "open"):
        CIRCUIT_BREAKER_TRANSITIONS.labels(dependency=dependency, state=state)
