"""Like, unlike, repost and undo: a redirect back for a form, the button's new state for a fetch."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from tweets import services
from tweets.models import Tweet
from tweets.pages import page_of
from tweets.views import back, safe_next, viewer_state
from web.fragments import wants_fragment
from web.ratelimits import rate_limited


def _answer(request, tweet: Tweet, template: str, message: str | None):
    if not wants_fragment(request):
        if message:
            messages.success(request, message)
        return back(request)
    # The original's row from PostgreSQL (one query by primary key), not the row cache: its counts as
    # this write left them, whenever the cache's eviction runs.
    page = page_of(Tweet.objects.filter(pk=tweet.repost_of_id or tweet.pk), None)
    if not page.tweets:
        return render(request, "tweets/_gone.html", status=404)
    state = viewer_state(request, page)
    return render(request, template, {"shown": page.tweets[0], "back": safe_next(request), **state})


@require_POST
@login_required
@rate_limited("like")
def tweet_like(request, tweet_id: int):
    tweet = get_object_or_404(Tweet, pk=tweet_id)
    services.tweet_like(tweet=tweet, user=request.user)
    return _answer(request, tweet, "tweets/_like_form.html", None)


@require_POST
@login_required
@rate_limited("like")
def tweet_unlike(request, tweet_id: int):
    tweet = get_object_or_404(Tweet, pk=tweet_id)
    services.tweet_unlike(tweet=tweet, user=request.user)
    return _answer(request, tweet, "tweets/_like_form.html", None)


@require_POST
@login_required
@rate_limited("like")
def tweet_repost(request, tweet_id: int):
    tweet = get_object_or_404(Tweet, pk=tweet_id)
    added = services.tweet_repost(tweet=tweet, user=request.user)
    return _answer(request, tweet, "tweets/_repost_form.html", "Reposted." if added else None)


@require_POST
@login_required
@rate_limited("like")
def tweet_unrepost(request, tweet_id: int):
    tweet = get_object_or_404(Tweet, pk=tweet_id)
    undone = services.tweet_unrepost(tweet=tweet, user=request.user)
    return _answer(request, tweet, "tweets/_repost_form.html", "Repost undone." if undone else None)
