"""`{% tweet_content tweet %}`: a tweet's author, time, text and image, rendered once per worker.

That part (its mentions and hashtags linked) is the same for every viewer and fixed once the tweet
exists (likes, replies and reposts change only the footer, which `_tweet_actions.html` renders per
request), yet rendering it (dates, URLs, escaping) was most of a timeline's time.
The key holds every field it shows plus the active language and time zone, and the relative time
("3m") it shows: a fragment is rendered again when that label changes, not on every page.
"""

from dataclasses import replace
from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from tweets import entities
from tweets.pages import TweetRow
from tweets.templatetags.relative_time import time_element
from tweets.times import relative_label

register = template.Library()
_LOCALE = object()  # the render_context key of the page's (language, time zone)


@register.simple_tag(takes_context=True)
def tweet_content(context, tweet: TweetRow, entry: object = None) -> str:
    """entry names the element that shows it when that is not the tweet itself (a repost's entry, a
    notification), so that a page showing one tweet twice has no id twice."""
    # The language and time zone hold for the whole page: looked up once per render, not per tweet.
    locale = context.render_context.get(_LOCALE)
    if locale is None:
        locale = context.render_context[_LOCALE] = (
            translation.get_language(),
            timezone.get_current_timezone_name(),
            timezone.now(),  # one "now" for the page, so its tweets' ages agree with each other
        )
    language, time_zone, now = locale
    # The counts are not shown here: leaving them out of the key keeps a liked tweet's entry.
    label = f"tweet-{tweet.id if entry is None else entry}-author"
    content = replace(tweet, like_count=0, reply_count=0, repost_count=0, original=None)
    return _render(content, label, relative_label(tweet.created_at, now), language, time_zone)


@register.filter
def linked_text(text: str) -> SafeString:
    """Mentions linked to profiles, hashtags to their pages, the rest escaped."""
    return entities.linked(text)


@lru_cache(maxsize=2048)
def _render(tweet: TweetRow, label: str, ago: str, language: str, time_zone: str) -> str:
    time = time_element(tweet.created_at, ago)
    return render_to_string("tweets/_tweet_content.html", {"tweet": tweet, "label": label, "time": time})
