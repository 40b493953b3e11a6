"""Personal access tokens: created and revoked by their owner, looked up by the API's bearer auth."""

import hashlib
import secrets

from django.core.exceptions import ValidationError

from accounts.models import User
from api.models import AccessToken

PREFIX = "tws_"
MAX_TOKENS_PER_USER = 20
NAME_MAX_LENGTH: int = AccessToken._meta.get_field("name").max_length  # type: ignore[assignment]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[AccessToken, str]:
    """A new token for user: the row and the token itself, which is not stored and shown only now."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH or not name.isprintable():
        raise ValidationError("A token needs a name of 1 to 100 printable characters.", code="invalid_name")
    if AccessToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            f"You can have at most {MAX_TOKENS_PER_USER} tokens: revoke one first.", code="too_many_tokens"
        )
    token = PREFIX + secrets.token_urlsafe(32)
    row = AccessToken.objects.create(user=user, name=name, digest=_digest(token), prefix=token[:12])
    return row, token


def token_revoke(*, user: User, token_id: int) -> bool:
    deleted, _ = AccessToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def token_user(token: str) -> User | None:
    """The active user a token belongs to, or None (unknown, revoked, or its user deactivated)."""
    if not token.startswith(PREFIX):
        return None
    row = AccessToken.objects.select_related("user").filter(digest=_digest(token)).first()
    return row.user if row and row.user.is_active else None
