from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import SignupForm
from accounts.models import User
from accounts.selectors import user_by_username
from tweets.selectors import profile_stats
from web.error_pages import error_page
from web.fragments import wants_fragment
from web.ratelimits import rate_limited


@rate_limited("signup")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            form.add_error("username", error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}!")
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@login_required
def follow(request, username: str):
    followee = _user_or_404(username)
    try:
        services.user_follow(follower=request.user, followee=followee)
    except ValidationError as error:
        return error_page(request, error.messages[0], 400)
    return _followed(request, followee, f"You follow @{followee.username}.")


@require_POST
@login_required
def unfollow(request, username: str):
    followee = _user_or_404(username)
    services.user_unfollow(follower=request.user, followee=followee)
    return _followed(request, followee, f"You no longer follow @{followee.username}.")


def _followed(request, followee: User, message: str):
    """Back to the profile for a form; for a fetch, the profile's new counts and button."""
    if not wants_fragment(request):
        messages.success(request, message)
        return redirect("profile", username=followee.username)
    followee.refresh_from_db(fields=["followers_count", "following_count"])
    stats = profile_stats(user=followee, viewer=request.user)
    return render(request, "tweets/_follow.html", {"author": followee, "stats": stats})


def _user_or_404(username: str) -> User:
    user = user_by_username(username)
    if user is None:
        raise Http404("No such user")
    return user
