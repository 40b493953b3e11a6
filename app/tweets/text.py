"""The rules of tweet text, shared by the form, the services and the property tests."""

from django.core.exceptions import ValidationError

from tweets.models import TWEET_MAX_LENGTH


def clean_tweet_text(text: str) -> str:
    """Strip surrounding whitespace and check 1–280 Unicode code points remain."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("A tweet cannot be empty.", code="empty")
    if len(text) > TWEET_MAX_LENGTH:
        raise ValidationError(
            f"A tweet can have at most {TWEET_MAX_LENGTH} characters (it has {len(text)}).",
            code="too_long",
        )
    return text
