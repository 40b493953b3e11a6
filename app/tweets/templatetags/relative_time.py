"""`{% relative_time value %}`: a <time> element whose text is relative and whose title is absolute."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tweets.times import absolute_label, relative_label

register = template.Library()


@register.simple_tag
def relative_time(when: datetime) -> SafeString:
    return time_element(when, relative_label(when, timezone.now()))


def time_element(when: datetime, label: str) -> SafeString:
    return format_html(
        # Whole seconds: HTML's datetime allows at most three fractional digits.
        '<time datetime="{}" title="{}">{}</time>',
        timezone.localtime(when).isoformat(timespec="seconds"),
        absolute_label(when),
        label,
    )
