"""The requests of `make bench-social`: the DeathStarBench social-network mix, from prepared sessions.

A request is one of: `home` (GET /, the reader's Home), `user` (GET /@name, a profile: picked by
followers, so popular profiles are read most), `post` (POST /tweets/, mentioning an account picked the
same way, as DeathStarBench's posts carry mentions), `like`, `reply` and `repost` (POSTs about a recent
tweet) and `follow` (POST /@name/follow, popular accounts most). Each carries its reader's session and
the CSRF secret as cookie and form field. The same list is written for vegeta (JSON targets) and wrk
(loadtest/social.lua's tab-separated lines), and `expected` says what a correct answer is: a read is a
200; a form is a 302 back home (post, like, repost), to the profile (follow) or to the tweet's
conversation (reply). A 302 to the login page is a lost session, never a success.
"""

import base64
import itertools
import json
import random
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from loadtest.social_graph import Graph, username

# DeathStarBench's social-network mix, the variant with likes and follows, and one with conversation.
MIXES = {
    "social": {"home": 60, "user": 30, "post": 10},
    "social+likes+follows": {"home": 50, "user": 25, "post": 10, "like": 10, "follow": 5},
    # Posts and replies share the "post" rate limit: together no more of the mix than in the others.
    "social+replies+reposts": {"home": 55, "user": 30, "post": 5, "reply": 5, "repost": 5},
}
KINDS = ("home", "user", "post", "like", "reply", "repost", "follow")
# The POSTs about a tweet, by the last part of their path.
TWEET_ACTIONS = ("like", "reply", "repost")


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    cookie: str
    body: str = ""


@dataclass(frozen=True)
class Prepared:
    """What social_load.py prepared in the stack: sessions by reader, recent tweets, the CSRF secret."""

    csrf: str
    sessions: dict[int, str]
    fanout: dict[int, str]
    tweet_ids: list[int]
    # The app's TIMELINE_FANOUT_MAX_FOLLOWERS: authors above it are merged into Home at read time.
    fanout_threshold: int

    @classmethod
    def read(cls, path: Path) -> "Prepared":
        data = json.loads(path.read_text())
        return cls(
            csrf=data["csrf"],
            sessions={int(user): key for user, key in data["sessions"].items()},
            fanout={int(count): key for count, key in data["fanout"].items()},
            tweet_ids=data["tweet_ids"],
            fanout_threshold=data["fanout_threshold"],
        )

    def cookie(self, session: str) -> str:
        return f"sessionid={session}; csrftoken={self.csrf}"


def classify(method: str, path: str) -> str:
    if method == "GET":
        return "home" if path == "/" else "user"
    if path == "/tweets/":
        return "post"
    action = path.rstrip("/").rsplit("/", 1)[-1]
    return action if path.startswith("/tweets/") and action in TWEET_ACTIONS else "follow"


def expected(kind: str, status: int, location: str) -> bool:
    if kind in ("home", "user"):
        return status == 200
    if kind == "follow":
        return status == 302 and location.startswith("/@")
    if kind == "reply":
        return status == 302 and location.startswith("/tweets/")
    return status == 302 and location == "/"


def _form(csrf: str, **fields: str) -> str:
    return urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, **fields})


def requests(graph: Graph, prepared: Prepared, mix: str, count: int, seed: int) -> list[Request]:
    """count requests of the mix, in a random (seeded) order, each from a random prepared reader."""
    weights = MIXES[mix]
    rng = random.Random(f"{seed}-{mix}")
    readers = sorted(prepared.sessions)
    followers, _ = graph.counts
    popular = list(itertools.accumulate(count + 1 for count in followers))
    # One of each type first (vegeta and wrk start at the top), so a run of seconds exercises them all.
    first = list(weights)
    rng.shuffle(first)
    kinds = (first + rng.choices(list(weights), weights=list(weights.values()), k=count))[:count]
    result = []

    def someone_else(reader: int) -> int:
        """An account other than the reader, popular ones most."""
        other = rng.choices(range(graph.users), cum_weights=popular)[0]
        return (other + 1) % graph.users if other == reader else other

    for index, kind in enumerate(kinds):
        reader = rng.choice(readers)
        cookie = prepared.cookie(prepared.sessions[reader])
        if kind == "home":
            result.append(Request(kind, "GET", "/", cookie))
        elif kind == "user":
            author = rng.choices(range(graph.users), cum_weights=popular)[0]
            result.append(Request(kind, "GET", f"/@{username(author)}", cookie))
        elif kind == "post":
            body = _form(prepared.csrf, text=f"Benchmark post {index} for @{username(someone_else(reader))}")
            result.append(Request(kind, "POST", "/tweets/", cookie, body))
        elif kind in TWEET_ACTIONS:
            tweet = rng.choice(prepared.tweet_ids)
            fields = {"text": f"Benchmark reply {index}"} if kind == "reply" else {}
            path = f"/tweets/{tweet}/{kind}/"
            result.append(Request(kind, "POST", path, cookie, _form(prepared.csrf, **fields)))
        else:
            path = f"/@{username(someone_else(reader))}/follow"
            result.append(Request(kind, "POST", path, cookie, _form(prepared.csrf)))
    return result


def posts_by(session: str, prepared: Prepared, count: int, label: str) -> list[Request]:
    """count posts by one author (the fan-out measurement)."""
    cookie = prepared.cookie(session)
    return [
        Request("post", "POST", "/tweets/", cookie, _form(prepared.csrf, text=f"Fan-out post {n} ({label})"))
        for n in range(count)
    ]


def write_vegeta_targets(path: Path, site: str, listed: list[Request]) -> Path:
    """vegeta's JSON target format, one request a line (vegeta cycles through them in order)."""
    with path.open("w") as targets:
        for request in listed:
            target = {
                "method": request.method,
                "url": site + request.path,
                "header": {"Cookie": [request.cookie]},
            }
            if request.method == "POST":
                # As a browser's form: over HTTPS Django's CSRF check wants its Origin.
                target["header"]["Content-Type"] = ["application/x-www-form-urlencoded"]
                target["header"]["Origin"] = [site]
                target["body"] = base64.b64encode(request.body.encode()).decode()
            targets.write(json.dumps(target) + "\n")
    return path


def write_wrk_requests(path: Path, listed: list[Request]) -> Path:
    """loadtest/social.lua's input: method, path, cookie, body, tab-separated."""
    path.write_text("".join(f"{r.method}\t{r.path}\t{r.cookie}\t{r.body}\n" for r in listed))
    return path
