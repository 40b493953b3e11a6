"""Property-based tests: text validation and cursor parsing hold for any input, not just chosen ones."""

import unicodedata
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweets.cursors import InvalidCursor, decode_cursor, encode_cursor
from tweets.text import INVISIBLE_CATEGORIES, clean_tweet_text, has_visible_character

WHITESPACE = st.sampled_from(" \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2003\u2028\u2029\u202f\u205f\u3000")


@given(st.text())
def test_text_is_either_valid_normalized_and_stripped_or_rejected(text):
    normalized = unicodedata.normalize("NFC", text).strip()
    try:
        cleaned = clean_tweet_text(text)
    except ValidationError:
        # A null character is refused too: PostgreSQL cannot store one.
        assert not has_visible_character(normalized) or len(normalized) > 280 or "\x00" in normalized
    else:
        assert cleaned == normalized and has_visible_character(cleaned) and "\x00" not in cleaned
        assert 1 <= len(cleaned) <= 280


@given(st.text(WHITESPACE, min_size=0, max_size=50))
def test_whitespace_of_any_class_alone_is_rejected(text):
    with pytest.raises(ValidationError):
        clean_tweet_text(text)


@given(st.text(st.characters(whitelist_categories=sorted(INVISIBLE_CATEGORIES - {"Cs"})), max_size=50))
def test_invisible_characters_alone_are_rejected(text):
    with pytest.raises(ValidationError):
        clean_tweet_text(text)


@given(
    st.text(st.characters(blacklist_categories=sorted(INVISIBLE_CATEGORIES)), min_size=1, max_size=1),
    st.integers(min_value=0, max_value=300),
    st.text(WHITESPACE, max_size=5),
)
def test_the_limit_is_280_code_points_after_normalizing_and_stripping(char, count, padding):
    shown = len(unicodedata.normalize("NFC", char * count))
    text = padding + char * count + padding
    if 1 <= shown <= 280:
        assert len(clean_tweet_text(text)) == shown
    else:
        with pytest.raises(ValidationError):
            clean_tweet_text(text)


@given(st.text())
def test_any_string_is_a_cursor_or_invalid_never_another_error(cursor):
    try:
        created_at, tweet_id = decode_cursor(cursor)
    except InvalidCursor:
        return
    assert tweet_id >= 1 and created_at.tzinfo is not None


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=2**62),
)
def test_cursors_round_trip(created_at, tweet_id):
    decoded_at, decoded_id = decode_cursor(encode_cursor(created_at, tweet_id))
    assert decoded_id == tweet_id
    assert abs((decoded_at - created_at).total_seconds()) < 1e-5


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(cursor=st.text(min_size=1, max_size=80) | st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
def test_any_cursor_in_a_url_is_a_page_or_a_400(client, cursor):
    response = client.get(reverse("explore"), {"cursor": cursor})
    assert response.status_code in (200, 400)
