"""Relative times as timelines show them ("now", "3m", "2h", "5d", then the date), computed on the
server so that they read the same without JavaScript; the absolute time goes in <time>'s title."""

from datetime import datetime, timedelta

from django.utils import dateformat, timezone

ABSOLUTE_FORMAT = "M j, Y H:i"
WEEK = timedelta(days=7)


def relative_label(when: datetime, now: datetime) -> str:
    """How long before now `when` was, in the active time zone for dates beyond a week."""
    age = now - when
    if age < timedelta(minutes=1):
        return "now"  # a clock a little ahead of this one says "now" too, never "-1m"
    if age < timedelta(hours=1):
        return f"{age // timedelta(minutes=1)}m"
    if age < timedelta(days=1):
        return f"{age // timedelta(hours=1)}h"
    if age < WEEK:
        return f"{age.days}d"
    local, today = timezone.localtime(when), timezone.localtime(now)
    return dateformat.format(local, "M j" if local.year == today.year else "M j, Y")


def absolute_label(when: datetime) -> str:
    return dateformat.format(timezone.localtime(when), ABSOLUTE_FORMAT)
