"""Opaque keyset-pagination cursors: the (created_at, id) of the last tweet on a page."""

import base64
import binascii
from datetime import UTC, datetime, timedelta

MAX_CURSOR_LENGTH = 64
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class InvalidCursor(ValueError):
    pass


def micros(created_at: datetime) -> int:
    """created_at in whole microseconds since the epoch, exactly (a float timestamp rounds): the
    cursor's and the Redis timelines' score, compared with each other."""
    return (created_at - EPOCH) // MICROSECOND


def encode_cursor(created_at: datetime, tweet_id: int) -> str:
    return base64.urlsafe_b64encode(f"{micros(created_at)}:{tweet_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Parse a cursor from a URL; any malformed value raises InvalidCursor, never anything else."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        micros_text, id_text = raw.split(":")
        since_epoch, tweet_id = int(micros_text), int(id_text)
        if not (micros_text.isdigit() and id_text.isdigit()) or tweet_id < 1:
            raise InvalidCursor("cursor out of range")
        created_at = EPOCH + since_epoch * MICROSECOND
    except (binascii.Error, UnicodeError, ValueError, OverflowError, OSError) as error:
        raise InvalidCursor("malformed cursor") from error
    return created_at, tweet_id
