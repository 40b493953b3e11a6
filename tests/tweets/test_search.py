"""Search: tweets by their words (PostgreSQL full-text search on its GIN index), people by name."""

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import TweetFactory, UserFactory
from tweets.search import MAX_QUERY_LENGTH

pytestmark = pytest.mark.django_db


def search(client, query: str, **params):
    return client.get(reverse("search"), {"q": query, **params})


def test_tweets_match_every_word_newest_first(client):
    older = TweetFactory(text="Keyset pagination keeps page one cheap")
    newer = TweetFactory(text="Cheap PAGINATION, by keyset")
    TweetFactory(text="pagination alone")
    page = search(client, "keyset pagination")
    assert page.status_code == 200
    text = page.text
    assert newer.text in text and older.text in text and "pagination alone" not in text
    assert text.index(newer.text) < text.index(older.text)


def test_a_quoted_phrase_and_an_excluded_word(client):
    TweetFactory(text="the observable tweet stack")
    TweetFactory(text="a stack of observable tweets")
    text = search(client, '"observable tweet" -tweets').text
    assert "the observable tweet stack" in text and "a stack of observable tweets" not in text


def test_people_whose_name_contains_the_query_whatever_its_case(client):
    UserFactory(username="Grace_Hopper")
    UserFactory(username="hopper")
    UserFactory(username="ada")
    text = search(client, "HOPPER").text
    assert "@hopper" in text and "@Grace_Hopper" in text and "@ada" not in text


def test_results_are_paginated_and_the_next_page_keeps_the_query(client, settings):
    settings.TIMELINE_PAGE_SIZE = 2
    for n in range(3):
        TweetFactory(text=f"paged result {n}")
    TweetFactory(text="unrelated")
    first = search(client, "paged")
    assert first.status_code == 200 and "q=paged&amp;cursor=" in first.text
    cursor = first.text.split("q=paged&amp;cursor=", 1)[1].split('"', 1)[0]
    second = search(client, "paged", cursor=cursor)
    assert "paged result 0" in second.text and "unrelated" not in second.text


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_shows_the_form(client, query):
    page = search(client, query)
    assert page.status_code == 200 and 'role="search"' in page.text and "<h2>Tweets</h2>" not in page.text


def test_a_too_long_search_is_a_clear_400(client):
    page = search(client, "x" * (MAX_QUERY_LENGTH + 1))
    assert page.status_code == 400 and f"at most {MAX_QUERY_LENGTH} characters" in page.text


@pytest.mark.parametrize("query", ["&|!():*", "'", "\\", "a & b", "-", '"'])
def test_search_syntax_never_breaks_the_page(client, query):
    assert search(client, query).status_code == 200


def test_a_bad_cursor_is_a_400(client):
    assert search(client, "x", cursor="not-a-cursor").status_code == 400


def test_a_search_costs_the_same_queries_for_few_and_many_matches(client, django_assert_max_num_queries):
    def queries(count: int) -> int:
        TweetFactory.create_batch(count, text="constant cost")
        with django_assert_max_num_queries(10) as captured:
            assert search(client, "constant").status_code == 200
        return len(captured)

    assert queries(2) == queries(40)


def test_postgresql_answers_the_apps_queries_from_the_search_indexes():
    from accounts.models import User
    from tweets.search import _matching_tweets

    assert connection.vendor == "postgresql"
    TweetFactory(text="indexed words")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned, index or not
    try:
        tweets_plan = _matching_tweets("indexed").explain()
        users_plan = User.objects.filter(username__icontains="ind").explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on")
    assert "tweet_text_search_idx" in tweets_plan
    assert "user_username_trigram_idx" in users_plan
