"""The rate limiter's counter (web/ratelimits.py); its scopes are the keys of settings.RATE_LIMITS."""

from prometheus_client import Counter

RATE_LIMIT_SCOPES = ("login", "signup", "post", "like")

RATE_LIMITED = Counter("tweetstack_rate_limited_total", "Requests refused with 429, by scope.", ["scope"])

# Export every series from the start, so rates exist before the first refusal.
for scope in RATE_LIMIT_SCOPES:
    RATE_LIMITED.labels(scope=scope)
