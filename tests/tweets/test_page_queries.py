"""The pages added with replies, hashtags, search and notifications cost a constant number of
queries per page: 3 items or 30 (a page and a half), the same count, from an empty Redis and a warm one."""

from collections.abc import Callable

import pytest
from django.urls import reverse

from tests.factories import LikeFactory, TweetFactory, UserFactory
from tests.tweets.test_selectors import queries_for
from tweets import services

pytestmark = pytest.mark.django_db


def counts(client, url: str) -> tuple[int, int]:
    return queries_for(client, url, cold=True), queries_for(client, url)


def grows_without_more_queries(client, page: str, url: str, add: Callable[[int], None]) -> None:
    add(3)
    small = counts(client, url)
    add(27)
    large = counts(client, url)
    assert large == small, f"{url}: {small} queries (cold, warm) for 3 items, {large} for 30"
    print(f"{page}: {large[0]} queries from an empty Redis, {large[1]} from a warm one")


def test_a_conversation_page_costs_the_same_queries_for_3_and_30_replies(client):
    viewer, author = UserFactory(), UserFactory()
    client.force_login(viewer)
    root = TweetFactory(author=author, text="the start of a thread")
    repliers = UserFactory.create_batch(3)

    def add(replies: int) -> None:
        for n in range(replies):
            reply = services.tweet_create(
                author=repliers[n % 3], text=f"reply {n} to @{author.username}", reply_to=root
            )
            LikeFactory(tweet=reply, user=viewer)

    grows_without_more_queries(client, "conversation", reverse("tweet_detail", args=[root.pk]), add)


@pytest.mark.parametrize(
    ("page", "url", "text"),
    [
        ("hashtag", lambda: reverse("hashtag", args=["stacks"]), "#stacks number {n}"),
        ("search", lambda: reverse("search") + "?q=observability", "observability matters, take {n}"),
    ],
)
def test_a_list_of_matching_tweets_costs_the_same_queries_for_3_and_30(client, page, url, text):
    viewer = UserFactory()
    client.force_login(viewer)
    authors = UserFactory.create_batch(3)

    def add(tweets: int) -> None:
        for n in range(tweets):
            services.tweet_create(author=authors[n % 3], text=text.format(n=n))

    grows_without_more_queries(client, page, url(), add)


def test_the_notifications_page_costs_the_same_queries_for_3_and_30_notifications(client):
    viewer = UserFactory()
    client.force_login(viewer)
    own = TweetFactory(author=viewer, text="something to react to")
    actors = UserFactory.create_batch(3)

    def add(notifications: int) -> None:
        for n in range(notifications):
            actor = actors[n % 3]
            if n % 2:  # a mention, or a reply
                services.tweet_create(author=actor, text=f"hello @{viewer.username} ({n})")
            else:
                services.tweet_create(author=actor, text=f"a reply ({n})", reply_to=own)
            services.tweet_like(tweet=own, user=actor)  # notifies once per actor

    grows_without_more_queries(client, "notifications", reverse("notifications"), add)
