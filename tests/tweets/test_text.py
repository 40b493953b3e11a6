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


@pytest.mark.parametrize(
    "text",
    [
        "\u200b",
        "\u200b\u200b\u200b",
        "\u2060\ufeff",
        " \u200c\u200d ",
        "\u0301\u0301",  # combining marks with nothing to combine with
        "\u20dd",
        "\u00ad",  # soft hyphen
        "\u0000\u0007",
    ],
    ids=[
        "zwsp",
        "zwsp3",
        "word-joiner-bom",
        "zwnj-zwj",
        "combining",
        "enclosing-mark",
        "soft-hyphen",
        "controls",
    ],
)
def test_text_with_no_visible_character_is_rejected(text):
    with pytest.raises(ValidationError, match="cannot be empty"):
        clean_tweet_text(text)


def test_text_is_nfc_normalized_before_it_is_counted():
    decomposed = "e\u0301" * 280  # 560 code points that show as 280 "é"
    cleaned = clean_tweet_text(decomposed)
    assert cleaned == "\u00e9" * 280 and len(cleaned) == 280


def test_visible_text_with_invisible_characters_keeps_them():
    assert clean_tweet_text("a\u200bb") == "a\u200bb"
    assert clean_tweet_text("👩\u200d💻") == "👩\u200d💻"
