"""@mentions and #hashtags in tweet text: found once by these patterns, both when a tweet is stored
(tweets/services.py) and when its text is rendered as links (templatetags/tweet_content.py)."""

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from tweets.models import HASHTAG_MAX_LENGTH

# A username's characters (Django's validator: letters, digits and @.+-_), ending on a word
# character so that "@bob." mentions bob; not inside a word or an e-mail address (a@b).
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*\w)")
# A tag has a letter (#1 is a number, not a tag) and starts a word (a#b and &#39; are no tags).
HASHTAG = re.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")
ENTITY = re.compile(f"{MENTION.pattern}|{HASHTAG.pattern}")
USERNAME_MAX_LENGTH = 150


@dataclass(frozen=True)
class Entities:
    usernames: frozenset[str]  # lower-cased
    hashtags: frozenset[str]  # lower-cased


def tag_name(tag: str) -> str | None:
    """The tag page's name for #tag, or None if it cannot be one (too long)."""
    name = tag.lower()
    return name if len(name) <= HASHTAG_MAX_LENGTH and "\x00" not in name else None


def find_entities(text: str) -> Entities:
    usernames = {name.lower() for name in MENTION.findall(text) if len(name) <= USERNAME_MAX_LENGTH}
    hashtags = {name for tag in HASHTAG.findall(text) if (name := tag_name(tag))}
    return Entities(usernames=frozenset(usernames), hashtags=frozenset(hashtags))


def linked(text: str) -> SafeString:
    """The text escaped, with its mentions linked to profiles and its hashtags to tag pages."""
    parts: list[str] = []
    end = 0
    for match in ENTITY.finditer(text):
        username, tag = match.groups()
        if username is not None and len(username) <= USERNAME_MAX_LENGTH:
            link = format_html(
                '<a class="mention" href="{}">@{}</a>', reverse("profile", args=[username]), username
            )
        elif tag is not None and (name := tag_name(tag)):
            link = format_html('<a class="hashtag" href="{}">#{}</a>', reverse("hashtag", args=[name]), tag)
        else:
            continue
        parts += [escape(text[end : match.start()]), link]
        end = match.end()
    parts.append(escape(text[end:]))
    return mark_safe("".join(parts))  # noqa: S308 every piece was escaped or built by format_html
