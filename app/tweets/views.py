from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from accounts.selectors import user_by_username
from tweets import selectors, services
from tweets.cursors import InvalidCursor
from tweets.forms import TweetForm
from tweets.models import Tweet
from web.error_pages import error_page
from web.ratelimits import rate_limited


def _timeline(request, template: str, read, status: int = 200, **context):
    try:
        page = read(cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        return error_page(request, "That page link is not valid. Start again from the newest tweets.", 400)
    return render(request, template, {"page": page, **viewer_state(request, page), **context}, status=status)


def viewer_state(request, page) -> dict[str, set[int]]:
    """What the footer of each tweet needs to know about the viewer: two queries a page."""
    return {
        "liked": selectors.liked_tweet_ids(user=request.user, page=page),
        "reposted": selectors.reposted_tweet_ids(user=request.user, page=page),
    }


@require_safe
def home(request):
    if not request.user.is_authenticated:
        return redirect("explore")
    return _home_page(request, TweetForm())


def _home_page(request, form: TweetForm, status: int = 200):
    read = lambda cursor: selectors.home_timeline(user=request.user, cursor=cursor)  # noqa: E731
    return _timeline(request, "tweets/home.html", read, status, form=form)


@require_safe
def explore(request):
    return _timeline(request, "tweets/explore.html", selectors.explore_timeline)


@require_safe
def profile(request, username: str):
    author = user_by_username(username)
    if author is None:
        raise Http404("No such user")
    if author.username != username:
        return redirect("profile", username=author.username, permanent=True)
    stats = selectors.profile_stats(user=author, viewer=request.user)
    read = lambda cursor: selectors.profile_timeline(author=author, cursor=cursor)  # noqa: E731
    return _timeline(request, "tweets/profile.html", read, author=author, stats=stats)


@require_POST
@login_required
@rate_limited("post")
def tweet_create(request):
    form = TweetForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.tweet_create(
                author=request.user, text=form.cleaned_data["text"], image=form.cleaned_data["image"]
            )
        except ValidationError as error:
            form.add_error("image", error)
        else:
            messages.success(request, "Tweet posted successfully!")
            return redirect("home")
    return _home_page(request, form, status=400)


@require_POST
@login_required
def tweet_delete(request, tweet_id: int):
    tweet = get_object_or_404(Tweet, pk=tweet_id)
    try:
        services.tweet_delete(tweet=tweet, user=request.user)
    except PermissionDenied as error:
        return error_page(request, str(error), 403)
    messages.success(request, "Tweet deleted.")
    return back(request)


def back(request):
    """Return to the page the form was on, never to another site."""
    return redirect(safe_next(request))


def safe_next(request) -> str:
    target: str = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")
