"""A tweet's page (its conversation and a reply form), replying, and a hashtag's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from tweets import services, threads
from tweets.cursors import InvalidCursor
from tweets.entities import tag_name
from tweets.forms import TweetForm
from tweets.models import Tweet
from tweets.pages import TimelinePage
from tweets.views import viewer_state
from web.error_pages import error_page
from web.ratelimits import rate_limited


@require_safe
def tweet_detail(request: HttpRequest, tweet_id: int) -> HttpResponse:
    return _thread_page(request, tweet_id, TweetForm())


def _thread_page(request: HttpRequest, tweet_id: int, form: TweetForm, status: int = 200) -> HttpResponse:
    try:
        thread = threads.tweet_thread(tweet_id=tweet_id, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        response: HttpResponse = error_page(
            request, "That page link is not valid. Start again from the tweet.", 400
        )
        return response
    if thread is None:
        raise Http404("No such tweet")
    if thread.tweet.id != tweet_id:
        return redirect("tweet_detail", tweet_id=thread.tweet.id)  # a repost's page is its original's
    # The tweet and its ancestors go through the same footer as the replies.
    shown = TimelinePage(tweets=[*thread.ancestors, thread.tweet, *thread.replies.tweets], next_cursor=None)
    context = {"thread": thread, "page": thread.replies, "form": form, **viewer_state(request, shown)}
    return render(request, "tweets/detail.html", context, status=status)


@require_POST
@login_required
@rate_limited("post")
def tweet_reply(request: HttpRequest, tweet_id: int) -> HttpResponse:
    parent = get_object_or_404(Tweet, pk=tweet_id)
    form = TweetForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            reply = services.tweet_create(
                author=request.user,  # type: ignore[arg-type]
                text=form.cleaned_data["text"],
                image=form.cleaned_data["image"],
                reply_to=parent,
            )
        except ValidationError as error:
            form.add_error("image", error)
        else:
            messages.success(request, "Reply posted.")
            return redirect("tweet_detail", tweet_id=reply.reply_to_id)
    return _thread_page(request, tweet_id, form, status=400)


@require_safe
def hashtag(request: HttpRequest, name: str) -> HttpResponse:
    canonical = tag_name(name)
    if canonical is None:
        raise Http404("No such hashtag")
    if canonical != name:
        return redirect("hashtag", name=canonical, permanent=True)
    try:
        page = threads.hashtag_timeline(name=name, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        response: HttpResponse = error_page(
            request, "That page link is not valid. Start again from the newest tweets.", 400
        )
        return response
    context = {"page": page, "tag": name, **viewer_state(request, page)}
    return render(request, "tweets/hashtag.html", context)
