"""The API's timelines and tweets: read, post (with an image, or as a reply), delete, like, repost."""

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from accounts.selectors import user_by_username
from api.main import ANYONE, OPTIONAL_AUTH, SIGNED_IN, limit
from api.rows import page_out, tweet_out, viewer_state
from api.schemas import ChangedOut, ErrorOut, PageOut, ThreadOut, TweetOut
from tweets import selectors, services, threads
from tweets.entities import tag_name
from tweets.models import Tweet
from tweets.pages import TimelinePage, rows_by_id

router = Router(tags=["tweets"])
ERRORS = {status: ErrorOut for status in (400, 401, 403, 404, 422, 429)}


def _page(request: HttpRequest, page: TimelinePage) -> PageOut:
    return page_out(page, viewer_state(request, page))


@router.get("/timelines/home", response={200: PageOut, **ERRORS}, auth=SIGNED_IN)
def home(request: HttpRequest, cursor: str | None = None) -> PageOut:
    return _page(request, selectors.home_timeline(user=request.user, cursor=cursor))  # type: ignore[arg-type]


@router.get("/timelines/explore", response={200: PageOut, **ERRORS}, auth=ANYONE, openapi_extra=OPTIONAL_AUTH)
def explore(request: HttpRequest, cursor: str | None = None) -> PageOut:
    return _page(request, selectors.explore_timeline(cursor=cursor))


@router.get(
    "/users/{username}/tweets", response={200: PageOut, **ERRORS}, auth=ANYONE, openapi_extra=OPTIONAL_AUTH
)
def user_tweets(request: HttpRequest, username: str, cursor: str | None = None) -> PageOut:
    author = user_by_username(username)
    if author is None:
        raise Http404("No such user.")
    return _page(request, selectors.profile_timeline(author=author, cursor=cursor))


@router.get("/tags/{name}", response={200: PageOut, **ERRORS}, auth=ANYONE, openapi_extra=OPTIONAL_AUTH)
def hashtag(request: HttpRequest, name: str, cursor: str | None = None) -> PageOut:
    canonical = tag_name(name)
    if canonical is None:
        raise Http404("No such hashtag.")
    return _page(request, threads.hashtag_timeline(name=canonical, cursor=cursor))


@router.get(
    "/tweets/{tweet_id}", response={200: ThreadOut, **ERRORS}, auth=ANYONE, openapi_extra=OPTIONAL_AUTH
)
def tweet_thread(request: HttpRequest, tweet_id: int, cursor: str | None = None) -> ThreadOut:
    thread = threads.tweet_thread(tweet_id=tweet_id, cursor=cursor)
    if thread is None:
        raise Http404("No such tweet.")
    shown = TimelinePage(tweets=[*thread.ancestors, thread.tweet], next_cursor=None)
    viewer = viewer_state(request, shown, thread.replies)
    return ThreadOut(
        ancestors=[tweet_out(row, viewer) for row in thread.ancestors],
        tweet=tweet_out(thread.tweet, viewer),
        replies=page_out(thread.replies, viewer),
    )


@router.post("/tweets", response={201: TweetOut, **ERRORS}, auth=SIGNED_IN)
def tweet_create(
    request: HttpRequest,
    text: Form[str] = "",
    reply_to: Form[int | None] = None,
    image: File[UploadedFile | None] = None,
) -> Status[TweetOut]:
    """Post a tweet (multipart/form-data, as the page's form): text, an optional image, and with
    reply_to the id of the tweet it answers."""
    limit(request, "post")
    parent = get_object_or_404(Tweet, pk=reply_to) if reply_to is not None else None
    tweet = services.tweet_create(author=request.user, text=text, image=image, reply_to=parent)  # type: ignore[arg-type]
    return Status(201, tweet_out(rows_by_id([tweet.pk])[tweet.pk], {"liked": set(), "reposted": set()}))


@router.delete("/tweets/{tweet_id}", response={204: None, **ERRORS}, auth=SIGNED_IN)
def tweet_delete(request: HttpRequest, tweet_id: int) -> Status[None]:
    limit(request, "post")
    services.tweet_delete(tweet=get_object_or_404(Tweet, pk=tweet_id), user=request.user)  # type: ignore[arg-type]
    return Status(204, None)


def _toggle(request: HttpRequest, tweet_id: int, action) -> ChangedOut:  # type: ignore[no-untyped-def]
    limit(request, "like")
    return ChangedOut(changed=action(tweet=get_object_or_404(Tweet, pk=tweet_id), user=request.user))


@router.post("/tweets/{tweet_id}/like", response={200: ChangedOut, **ERRORS}, auth=SIGNED_IN)
def like(request: HttpRequest, tweet_id: int) -> ChangedOut:
    return _toggle(request, tweet_id, services.tweet_like)


@router.delete("/tweets/{tweet_id}/like", response={200: ChangedOut, **ERRORS}, auth=SIGNED_IN)
def unlike(request: HttpRequest, tweet_id: int) -> ChangedOut:
    return _toggle(request, tweet_id, services.tweet_unlike)


@router.post("/tweets/{tweet_id}/repost", response={200: ChangedOut, **ERRORS}, auth=SIGNED_IN)
def repost(request: HttpRequest, tweet_id: int) -> ChangedOut:
    return _toggle(request, tweet_id, services.tweet_repost)


@router.delete("/tweets/{tweet_id}/repost", response={200: ChangedOut, **ERRORS}, auth=SIGNED_IN)
def unrepost(request: HttpRequest, tweet_id: int) -> ChangedOut:
    return _toggle(request, tweet_id, services.tweet_unrepost)
