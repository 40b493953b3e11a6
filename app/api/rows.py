"""The API's view of the selectors' rows: tweets with the viewer's state, pages, notifications."""

from typing import Any

from api.schemas import NotificationOut, PageOut, TimelineItemOut, TweetOut
from notifications.selectors import NotificationPage
from tweets import selectors
from tweets.pages import TimelinePage, TweetRow


def tweet_out(row: TweetRow, viewer: dict[str, set[int]]) -> TweetOut:
    return TweetOut(
        id=row.id,
        author=row.author_username,
        author_display_name=row.author_display_name,
        author_avatar_url=row.author_avatar_url or None,
        text=row.text,
        created_at=row.created_at,
        image_url=row.image_url or None,
        thumbnail_url=row.thumbnail_url or None,
        like_count=row.like_count,
        reply_count=row.reply_count,
        repost_count=row.repost_count,
        reply_to_id=row.reply_to_id,
        liked=row.id in viewer["liked"],
        reposted=row.id in viewer["reposted"],
    )


def viewer_state(request: Any, *pages: TimelinePage) -> dict[str, set[int]]:
    rows = [row for page in pages for row in page.tweets]
    whole = TimelinePage(tweets=rows, next_cursor=None)
    return {
        "liked": selectors.liked_tweet_ids(user=request.user, page=whole),
        "reposted": selectors.reposted_tweet_ids(user=request.user, page=whole),
    }


def page_out(page: TimelinePage, viewer: dict[str, set[int]]) -> PageOut:
    items = [
        TimelineItemOut(
            id=row.id,
            reposted_by=row.author_username if row.original else None,
            tweet=tweet_out(row.shown, viewer),
        )
        for row in page.tweets
    ]
    return PageOut(items=items, next_cursor=page.next_cursor)


def notification_outs(request: Any, page: NotificationPage) -> list[NotificationOut]:
    tweets = [n.tweet for n in page.notifications if n.tweet]
    viewer = viewer_state(request, TimelinePage(tweets=tweets, next_cursor=None))
    return [
        NotificationOut(
            kind=n.kind,
            actor=n.actor_username,
            created_at=n.created_at,
            read=n.read,
            tweet=tweet_out(n.tweet, viewer) if n.tweet else None,
        )
        for n in page.notifications
    ]
