"""The API's people: profiles (read and edit), follows, search, notifications and access tokens."""

from django.http import Http404, HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from accounts import services as account_services
from accounts.models import User
from accounts.profiles import ProfileChange, profile_update
from accounts.selectors import user_by_username
from api import tokens
from api.main import ANYONE, OPTIONAL_AUTH, SIGNED_IN, limit
from api.models import AccessToken
from api.rows import notification_outs, page_out, viewer_state
from api.schemas import (
    ChangedOut,
    ErrorOut,
    NotificationPageOut,
    SearchOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from tweets import search, selectors
from tweets.pages import TimelinePage

router = Router(tags=["people"])
ERRORS = {status: ErrorOut for status in (400, 401, 403, 404, 422, 429)}


def _user(username: str) -> User:
    user = user_by_username(username)
    if user is None:
        raise Http404("No such user.")
    return user


def _user_out(user: User, viewer: User) -> UserOut:
    stats = selectors.profile_stats(user=user, viewer=viewer)
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        bio=user.bio,
        avatar_url=user.avatar.url if user.avatar else None,
        followers=stats.followers,
        following=stats.following,
        viewer_follows=stats.viewer_follows,
    )


@router.get("/users/{username}", response={200: UserOut, **ERRORS}, auth=ANYONE, openapi_extra=OPTIONAL_AUTH)
def profile(request: HttpRequest, username: str) -> UserOut:
    return _user_out(_user(username), request.user)  # type: ignore[arg-type]


# Every field is optional, so is the body: an empty one is an edit that changes nothing.
@router.post(
    "/profile",
    response={200: UserOut, **ERRORS},
    auth=SIGNED_IN,
    openapi_extra={"requestBody": {"required": False}},
)
def profile_edit(
    request: HttpRequest,
    display_name: Form[str | None] = None,
    bio: Form[str | None] = None,
    avatar: File[UploadedFile | None] = None,
    remove_avatar: Form[bool] = False,
) -> UserOut:
    """Edit the caller's profile (multipart/form-data, as the page's form). A field left out keeps its
    value; an empty display name shows the username. Wholly or not at all: a rejected field or image
    changes nothing."""
    limit(request, "post")
    # A fresh copy, as the page's: a rejected edit leaves no half-applied values on request.user.
    user = User.objects.get(pk=request.user.pk)  # type: ignore[misc]  # auth=SIGNED_IN: never anonymous
    change = ProfileChange(
        display_name=user.display_name if display_name is None else display_name,
        bio=user.bio if bio is None else bio,
        avatar=avatar,
        remove_avatar=remove_avatar,
    )
    return _user_out(profile_update(user=user, change=change), user)


@router.post("/users/{username}/follow", response={200: ChangedOut, **ERRORS}, auth=SIGNED_IN)
def follow(request: HttpRequest, username: str) -> ChangedOut:
    limit(request, "like")
    followee = _user(username)
    return ChangedOut(changed=account_services.user_follow(follower=request.user, followee=followee))  # type: ignore[arg-type]


@router.delete("/users/{username}/follow", response={200: ChangedOut, **ERRORS}, auth=SIGNED_IN)
def unfollow(request: HttpRequest, username: str) -> ChangedOut:
    limit(request, "like")
    followee = _user(username)
    return ChangedOut(changed=account_services.user_unfollow(follower=request.user, followee=followee))  # type: ignore[arg-type]


@router.get("/search", response={200: SearchOut, **ERRORS}, auth=ANYONE, openapi_extra=OPTIONAL_AUTH)
def search_everything(request: HttpRequest, q: str, cursor: str | None = None) -> SearchOut:
    """Tweets matching every word (web-search syntax: "a phrase", -word, or) and matching usernames."""
    query = search.clean_query(q)
    if not query:
        return SearchOut(tweets=page_out(TimelinePage(tweets=[], next_cursor=None), {}), users=[])
    page = search.search_tweets(query=query, cursor=cursor)
    return SearchOut(
        tweets=page_out(page, viewer_state(request, page)), users=search.search_users(query=query)
    )


@router.get("/notifications", response={200: NotificationPageOut, **ERRORS}, auth=SIGNED_IN)
def notifications(request: HttpRequest, cursor: str | None = None) -> NotificationPageOut:
    """Newest first; reading them here does not mark them read (POST /notifications/read does)."""
    page = notification_selectors.notification_page(user=request.user, cursor=cursor)  # type: ignore[arg-type]
    return NotificationPageOut(
        items=notification_outs(request, page),
        next_cursor=page.next_cursor,
        unread=request.user.unread_notifications,  # type: ignore[union-attr]
    )


@router.post("/notifications/read", response={204: None, **ERRORS}, auth=SIGNED_IN)
def mark_read(request: HttpRequest) -> Status[None]:
    notification_services.notifications_mark_read(user=request.user)  # type: ignore[arg-type]
    return Status(204, None)


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, auth=SIGNED_IN)
def token_list(request: HttpRequest) -> list[AccessToken]:
    return list(AccessToken.objects.filter(user=request.user).order_by("-created_at", "-id"))  # type: ignore[misc]


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, auth=SIGNED_IN)
def token_create(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    """A new personal access token: send it as `Authorization: Bearer <token>`. It is shown only here."""
    limit(request, "post")
    row, token = tokens.token_create(user=request.user, name=payload.name)  # type: ignore[arg-type]
    return Status(
        201,
        TokenCreatedOut(id=row.pk, name=row.name, prefix=row.prefix, created_at=row.created_at, token=token),
    )


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, auth=SIGNED_IN)
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    if not tokens.token_revoke(user=request.user, token_id=token_id):  # type: ignore[arg-type]
        raise Http404("No such token.")
    return Status(204, None)
