"""The page a user sees when a request is refused: the reason in plain words and the right status."""

from django.shortcuts import render


def error_page(request, message: str, status: int):
    return render(request, "error.html", {"message": message, "status": status}, status=status)


def csrf_failure(request, reason: str = ""):
    return error_page(
        request, "Your form expired or came from another site. Go back, reload the page and try again.", 403
    )
