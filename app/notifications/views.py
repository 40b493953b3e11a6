from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from notifications import selectors, services
from tweets.cursors import InvalidCursor
from web.error_pages import error_page


@require_safe
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.notification_page(user=request.user, cursor=request.GET.get("cursor") or None)  # type: ignore[arg-type]
    except InvalidCursor:
        response: HttpResponse = error_page(
            request, "That page link is not valid. Start again from the newest.", 400
        )
        return response
    # Read once shown: the page still marks which ones are new (they were read before the marking).
    if request.method == "GET" and request.user.unread_notifications:  # type: ignore[union-attr]
        services.notifications_mark_read(user=request.user)  # type: ignore[arg-type]
    return render(request, "notifications/inbox.html", {"page": page})
