"""Search over tweets and users: PostgreSQL full-text search (GIN index) for tweets and a trigram
index behind the username match; the embedded SQLite default falls back to a plain substring match."""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Lower

from accounts.models import User
from tweets import metrics
from tweets.cursors import decode_cursor
from tweets.models import Tweet
from tweets.pages import TimelinePage, page_of

MAX_QUERY_LENGTH = 100
USERS_SHOWN = 10
# 'simple': no language's stemming or stop words, since tweets come in every language. The migration
# that builds tweet_text_search_idx indexes exactly this expression.
TEXT_SEARCH_CONFIG = "simple"


def clean_query(query: str) -> str:
    query = (query or "").strip()
    if "\x00" in query:
        raise ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(
            f"A search can have at most {MAX_QUERY_LENGTH} characters (it has {len(query)}).", code="too_long"
        )
    return query


def search_tweets(*, query: str, cursor: str | None = None) -> TimelinePage:
    """Tweets matching every word (web-search syntax: "a phrase", -word, or), newest first."""
    position = decode_cursor(cursor) if cursor else None
    page = page_of(_matching_tweets(query), position)
    if position is None:  # a next page of results is the same search
        metrics.SEARCHES.inc()
    return page


def search_users(*, query: str) -> list[str]:
    """Usernames containing the query, whatever its case, shortest first."""
    users = User.objects.filter(username__icontains=query).order_by(Lower("username"))
    return sorted(users.values_list("username", flat=True)[:USERS_SHOWN], key=len)


def _matching_tweets(query: str) -> QuerySet[Tweet]:
    if connection.vendor != "postgresql":
        return Tweet.objects.filter(text__icontains=query)
    return Tweet.objects.annotate(document=SearchVector("text", config=TEXT_SEARCH_CONFIG)).filter(
        document=SearchQuery(query, config=TEXT_SEARCH_CONFIG, search_type="websearch")
    )
