from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import SignupForm
from accounts.models import User
from config.ratelimits import rate_limited
from config.responses import error_page


@rate_limited("signup")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}!")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@login_required
def follow(request, username: str):
    followee = get_object_or_404(User, username=username)
    try:
        services.user_follow(follower=request.user, followee=followee)
    except ValidationError as error:
        return error_page(request, error.messages[0], 400)
    messages.success(request, f"You follow @{username}.")
    return redirect("profile", username=username)


@require_POST
@login_required
def unfollow(request, username: str):
    followee = get_object_or_404(User, username=username)
    services.user_unfollow(follower=request.user, followee=followee)
    messages.success(request, f"You no longer follow @{username}.")
    return redirect("profile", username=username)
