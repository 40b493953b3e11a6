"""Like, repost and follow submitted by static/js/enhance.js (X-Fragment: 1) are answered with the
button's new state, not a redirect; the same forms without it redirect back as before."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Follow
from tests.factories import TweetFactory
from tweets.models import Like

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_FRAGMENT": "1"}


def test_a_fetched_like_answers_the_unlike_button_with_the_new_count(user_client, user):
    tweet = TweetFactory()
    response = user_client.post(reverse("tweet_like", args=[tweet.pk]), {"next": "/explore/"}, **FETCH)
    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith(f'<form method="post" action="{reverse("tweet_unlike", args=[tweet.pk])}"')
    assert (
        'aria-pressed="true" aria-label="1 likes, unlike"><span aria-hidden="true">♥</span> 1</button>'
        in html
    )
    assert '<input type="hidden" name="next" value="/explore/">' in html  # the page's, for a form post later
    assert Like.objects.filter(user=user, tweet=tweet).exists()
    assert not list(get_messages(response.wsgi_request))


def test_a_fetched_unlike_answers_the_like_button(user_client, user):
    tweet = TweetFactory()
    user_client.post(reverse("tweet_like", args=[tweet.pk]))
    html = user_client.post(reverse("tweet_unlike", args=[tweet.pk]), **FETCH).text
    assert (
        'aria-pressed="false" aria-label="0 likes, like"><span aria-hidden="true">♡</span> 0</button>' in html
    )
    assert f'value="{reverse("home")}"' in html  # no next given: Home, never the action's own URL


def test_a_fetched_repost_of_a_repost_answers_for_the_original(user_client, user, other_user):
    original = TweetFactory()
    repost = TweetFactory(author=other_user, text="", repost_of=original)
    html = user_client.post(reverse("tweet_repost", args=[repost.pk]), **FETCH).text
    assert f'action="{reverse("tweet_unrepost", args=[original.pk])}"' in html
    assert 'aria-label="1 reposts, undo repost"><span aria-hidden="true">↻</span> 1</button>' in html
    html = user_client.post(reverse("tweet_unrepost", args=[original.pk]), **FETCH).text
    assert 'aria-label="0 reposts, repost"><span aria-hidden="true">↻</span> 0</button>' in html


def test_a_fetched_follow_answers_the_new_counts_and_the_unfollow_button(user_client, user, other_user):
    response = user_client.post(reverse("follow", args=[other_user.username]), **FETCH)
    assert response.status_code == 200
    assert "<span>1 followers</span>" in response.text
    assert f'action="{reverse("unfollow", args=[other_user.username])}"' in response.text
    assert Follow.objects.filter(follower=user, followee=other_user).exists()
    response = user_client.post(reverse("unfollow", args=[other_user.username]), **FETCH)
    assert "<span>0 followers</span>" in response.text and ">Follow</button>" in response.text


def test_without_the_header_the_forms_redirect_back_with_a_message(user_client, user):
    tweet = TweetFactory()
    response = user_client.post(reverse("tweet_repost", args=[tweet.pk]), {"next": "/explore/"})
    assert response.status_code == 302 and response["Location"] == "/explore/"
    assert "Reposted." in user_client.get("/explore/").text


def test_a_fetch_for_a_missing_tweet_is_a_404(user_client):
    assert user_client.post(reverse("tweet_like", args=[999_999]), **FETCH).status_code == 404


def test_the_forms_carry_the_enhancement_mark(user_client, user, other_user):
    TweetFactory()
    assert user_client.get(reverse("explore")).text.count("data-enhance") == 2
    page = user_client.get(reverse("profile", args=[other_user.username])).text
    assert '<div class="follow" data-swap>' in page and "data-enhance" in page
