"""The profile a user edits: display name, bio and avatar, with the rules the form and the service share."""

import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts import metrics
from accounts.models import BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, User
from tweets.images import ImageRejected, process_image
from tweets.metrics import IMAGE_REJECTIONS
from tweets.pages import author_row_keys
from tweets.text import has_visible_character


def clean_display_name(name: str) -> str:
    """NFC, stripped; empty means "show the username". One line, and something visible if anything."""
    name = _normalized(name, "display name", DISPLAY_NAME_MAX_LENGTH)
    if any(unicodedata.category(character) == "Cc" for character in name):
        raise ValidationError("A display name is one line, without control characters.", code="control")
    if name and not has_visible_character(name):
        raise ValidationError("A display name needs a visible character (or leave it empty).", code="empty")
    return name


def clean_bio(bio: str) -> str:
    return _normalized(bio, "bio", BIO_MAX_LENGTH).replace("\r\n", "\n")


def _normalized(text: str, what: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", text or "").strip()
    if "\x00" in text:
        raise ValidationError("Null characters are not allowed.", code="null_characters_not_allowed")
    if len(text) > limit:
        raise ValidationError(
            f"A {what} can have at most {limit} characters (it has {len(text)}).", code="too_long"
        )
    return text


@dataclass(frozen=True)
class ProfileChange:
    display_name: str
    bio: str
    avatar: UploadedFile | None = None
    remove_avatar: bool = False


def profile_update(*, user: User, change: ProfileChange) -> User:
    """Apply a profile edit wholly or not at all: a rejected field or image changes nothing."""
    display_name = clean_display_name(change.display_name)
    bio = clean_bio(change.bio)
    try:
        # The thumbnail is the avatar: the pipeline's re-encoded image, bounded to 640 pixels a side.
        avatar = process_image(change.avatar).thumbnail if change.avatar else None
    except ImageRejected as rejection:
        IMAGE_REJECTIONS.labels(reason=rejection.reason).inc()
        raise
    old_avatar = user.avatar.name
    with transaction.atomic():
        user.display_name, user.bio = display_name, bio
        if avatar is not None:
            user.avatar.save(avatar.name, avatar, save=False)
        elif change.remove_avatar:
            user.avatar = ""
        user.save(update_fields=["display_name", "bio", "avatar"])
        # Every row of theirs that a timeline caches shows the name and avatar (tweets/pages.py).
        keys = author_row_keys(user.pk)
        transaction.on_commit(lambda: cache.delete_many(keys))
        if old_avatar and old_avatar != user.avatar.name:
            storage = user.avatar.storage
            transaction.on_commit(lambda: storage.delete(old_avatar))
    transaction.on_commit(metrics.PROFILE_UPDATES.inc)
    return user
