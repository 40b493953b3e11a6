"""@mentions and #hashtags: found on post, linked in the text, a page per hashtag."""

import pytest
from django.urls import reverse

from tests.factories import TweetFactory, UserFactory
from tweets import services
from tweets.entities import find_entities, linked
from tweets.models import Hashtag

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "usernames", "hashtags"),
    [
        ("hi @Bob and @carol.", {"bob", "carol"}, set()),
        ("mail me at ada@example.com", set(), set()),
        ("#Django is #django and #1 is no tag", set(), {"django"}),
        ("a#b &#39; ##x", set(), set()),
        ("#café #日本語 (#tag)", set(), {"café", "日本語", "tag"}),
        ("@bob.smith @x-y_z", {"bob.smith", "x-y_z"}, set()),
        ("#" + "a" * 101, set(), set()),
    ],
)
def test_entities_are_found_as_a_reader_sees_them(text, usernames, hashtags):
    found = find_entities(text)
    assert found.usernames == usernames
    assert found.hashtags == hashtags


def test_the_text_is_escaped_and_its_entities_linked():
    html = linked("<b>hi</b> @Bob see #Django & more")
    assert html.startswith("&lt;b&gt;hi&lt;/b&gt; ")
    assert f'<a class="mention" href="{reverse("profile", args=["Bob"])}">@Bob</a>' in html
    assert f'<a class="hashtag" href="{reverse("hashtag", args=["django"])}">#Django</a>' in html
    assert html.endswith(" &amp; more")


def test_a_posted_tweet_links_its_mentions_and_hashtags(user_client):
    UserFactory(username="grace")
    user_client.post(reverse("tweet_create"), {"text": "thanks @grace for #Python"})
    page = user_client.get(reverse("home")).text
    assert '<a class="mention" href="/@grace">@grace</a>' in page
    assert '<a class="hashtag" href="/tags/python/">#Python</a>' in page


def test_posting_stores_hashtags_once_and_mentions_of_existing_users(user):
    grace = UserFactory(username="Grace")
    first = services.tweet_create(author=user, text="#Python with @grace and @nobody")
    services.tweet_create(author=user, text="more #python")
    assert list(Hashtag.objects.values_list("name", flat=True)) == ["python"]
    assert list(first.mentions.all()) == [grace]


def test_a_hashtag_page_lists_its_tweets_newest_first(client, user):
    services.tweet_create(author=user, text="old #rust")
    services.tweet_create(author=user, text="unrelated")
    services.tweet_create(author=user, text="new #Rust")
    response = client.get(reverse("hashtag", args=["rust"]))
    assert response.status_code == 200
    assert "<h1>#rust</h1>" in response.text
    assert response.text.index(">new <a") < response.text.index(">old <a")
    assert "unrelated" not in response.text


def test_a_hashtag_page_in_another_case_redirects_to_its_name(client):
    response = client.get(reverse("hashtag", args=["Rust"]))
    assert response.status_code == 301
    assert response["Location"] == reverse("hashtag", args=["rust"])


def test_a_hashtag_nobody_used_is_an_empty_page_and_a_too_long_one_a_404(client):
    assert "No tweets yet." in client.get(reverse("hashtag", args=["unused"])).text
    assert client.get(reverse("hashtag", args=["a" * 101])).status_code == 404


def test_a_malformed_hashtag_cursor_is_a_400(client):
    assert client.get(reverse("hashtag", args=["x"]), {"cursor": "%%%"}).status_code == 400


def test_a_tweet_without_entities_renders_as_before(client):
    TweetFactory(text="plain <i>text</i>")
    assert "plain &lt;i&gt;text&lt;/i&gt;" in client.get(reverse("explore")).text
