"""The page where a user creates and revokes their personal access tokens for the JSON API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api import tokens
from api.models import AccessToken
from web.ratelimits import rate_limited


@login_required
@rate_limited("post")
def token_page(request):
    context: dict[str, object] = {"created": None, "error": None}
    status = 200
    if request.method == "POST":
        try:
            _, context["created"] = tokens.token_create(user=request.user, name=request.POST.get("name", ""))
        except ValidationError as error:
            context["error"], status = error.messages[0], 400
    context["tokens"] = AccessToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    # The new token is shown on this response only (not stored, so no redirect could show it again).
    return render(request, "api/tokens.html", context, status=status)


@require_POST
@login_required
def token_revoke(request, token_id: int):
    if tokens.token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked.")
    return redirect("tokens")
