"""The rules of tweet text, shared by the form, the services and the property tests."""

import unicodedata

from django.core.exceptions import ValidationError

from tweets.models import TWEET_MAX_LENGTH

# Characters that show nothing on their own: separators and whitespace (Z*), controls, format
# characters such as U+200B/U+2060/U+FEFF, surrogates and unassigned code points (C* but private
# use), and combining marks (M*), which only decorate the character before them.
INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Cn", "Mn", "Mc", "Me"})


def has_visible_character(text: str) -> bool:
    return any(unicodedata.category(character) not in INVISIBLE_CATEGORIES for character in text)


def clean_tweet_text(text: str) -> str:
    """NFC-normalize, strip surrounding whitespace, then require a visible character and at most 280
    code points: "é" typed as e + U+0301 counts once, as it shows."""
    text = unicodedata.normalize("NFC", text or "").strip()
    if not has_visible_character(text):
        raise ValidationError("A tweet cannot be empty.", code="empty")
    if "\x00" in text:
        # PostgreSQL cannot store it; the form's own validator refuses it with this message too.
        raise ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
    if len(text) > TWEET_MAX_LENGTH:
        raise ValidationError(
            f"A tweet can have at most {TWEET_MAX_LENGTH} characters (it has {len(text)}).",
            code="too_long",
        )
    return text
