import pytest
from django.core.exceptions import ValidationError

from tweets.text import clean_tweet_text


def test_surrounding_whitespace_is_stripped():
    assert clean_tweet_text("  \n hello\t ") == "hello"


def test_length_counts_unicode_code_points():
    assert clean_tweet_text("é" * 280) == "é" * 280
    assert clean_tweet_text("🙂" * 280) == "🙂" * 280


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u3000\u2003"])
def test_empty_or_whitespace_only_text_is_rejected(text):
    with pytest.raises(ValidationError, match="cannot be empty"):
        clean_tweet_text(text)


def test_281_characters_are_rejected_with_the_count():
    with pytest.raises(ValidationError, match=r"at most 280 characters \(it has 281\)"):
        clean_tweet_text("a" * 281)
