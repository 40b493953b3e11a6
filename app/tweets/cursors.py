"""Opaque keyset-pagination cursors: the (created_at, id) of the last tweet on a page."""

import base64
import binascii
from datetime import UTC, datetime

MAX_CURSOR_LENGTH = 64


class InvalidCursor(ValueError):
    pass


def encode_cursor(created_at: datetime, tweet_id: int) -> str:
    micros = int(created_at.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{micros}:{tweet_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Parse a cursor from a URL; any malformed value raises InvalidCursor, never anything else."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        micros_text, id_text = raw.split(":")
        micros, tweet_id = int(micros_text), int(id_text)
        if not (micros_text.isdigit() and id_text.isdigit()) or tweet_id < 1:
            raise InvalidCursor("cursor out of range")
        created_at = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
    except (binascii.Error, UnicodeError, ValueError, OverflowError, OSError) as error:
        raise InvalidCursor("malformed cursor") from error
    return created_at, tweet_id
