"""The search page: /search/?q=words (tweets newest first, keyset-paginated, and matching people)."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tweets import search
from tweets.cursors import InvalidCursor
from tweets.views import viewer_state
from web.error_pages import error_page


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"max_length": search.MAX_QUERY_LENGTH, "query": ""}
    try:
        query = context["query"] = search.clean_query(request.GET.get("q", ""))
    except ValidationError as error:
        context |= {"query": request.GET["q"][: search.MAX_QUERY_LENGTH], "error": error.messages[0]}
        return render(request, "tweets/search.html", context, status=400)
    if query:
        try:
            page = search.search_tweets(query=query, cursor=request.GET.get("cursor") or None)
        except InvalidCursor:
            response: HttpResponse = error_page(request, "That page link is not valid. Search again.", 400)
            return response
        context |= {
            "page": page,
            **viewer_state(request, page),
            "users": search.search_users(query=query),
        }
    return render(request, "tweets/search.html", context)
