from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from accounts.forms import ProfileForm
from accounts.models import User
from accounts.profiles import ProfileChange, profile_update
from web.ratelimits import rate_limited


@login_required
@rate_limited("post")
def profile_edit(request):
    # A fresh copy: a rejected edit must not show half-applied values elsewhere on the page.
    user = User.objects.get(pk=request.user.pk)
    if request.method != "POST":
        form = ProfileForm(initial={"display_name": user.display_name, "bio": user.bio})
        return render(request, "registration/profile_edit.html", {"form": form, "profile": user})
    form = ProfileForm(request.POST, request.FILES)
    if form.is_valid():
        change = ProfileChange(
            display_name=form.cleaned_data["display_name"],
            bio=form.cleaned_data["bio"],
            avatar=form.cleaned_data["avatar"],
            remove_avatar=form.cleaned_data["remove_avatar"],
        )
        try:
            profile_update(user=user, change=change)
        except ValidationError as error:
            form.add_error("avatar", error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("profile", username=user.username)
    return render(request, "registration/profile_edit.html", {"form": form, "profile": user}, status=400)
