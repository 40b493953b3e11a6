"""Reads on accounts."""

from django.db.models import Value
from django.db.models.functions import Lower

from accounts.models import User


def user_by_username(username: str) -> User | None:
    """The user a profile URL names, whatever its case: both sides lowered by the database, as the
    unique lower(username) index that answers it is."""
    if "\x00" in username:
        return None  # no name has one, and PostgreSQL refuses it in a query
    return User.objects.alias(name=Lower("username")).filter(name=Lower(Value(username))).first()
