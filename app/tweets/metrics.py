"""The tweets app's counters. Names follow Prometheus conventions; label values come from fixed sets."""

from prometheus_client import Counter

from tweets.images import REJECTION_REASONS

TWEETS_POSTED = Counter("tweetstack_tweets_posted_total", "Tweets stored.")
TWEETS_DELETED = Counter("tweetstack_tweets_deleted_total", "Tweets deleted by their author.")
REPLIES = Counter("tweetstack_replies_total", "Replies stored (a reply is also a tweet posted).")
REPOSTS = Counter("tweetstack_reposts_total", "Reposts added (a repeated repost is not counted).")
REPOSTS_UNDONE = Counter("tweetstack_reposts_undone_total", "Reposts undone by their reposter.")
LIKES = Counter("tweetstack_likes_total", "Likes added (a repeated like is not counted).")
SEARCHES = Counter("tweetstack_searches_total", "Searches run, page or API (a next page is not a new one).")
# Tweet images and avatars alike: both go through tweets/images.py.
IMAGE_REJECTIONS = Counter(
    "tweetstack_image_uploads_rejected_total", "Image uploads refused, by reason.", ["reason"]
)
TIMELINE_CACHE = Counter(
    "tweetstack_timeline_cache_requests_total", "Timeline page cache look-ups, by result.", ["result"]
)

# Export every series from the start, so rates and ratios exist before the first event.
for reason in REJECTION_REASONS:
    IMAGE_REJECTIONS.labels(reason=reason)
for result in ("hit", "miss"):
    TIMELINE_CACHE.labels(result=result)
