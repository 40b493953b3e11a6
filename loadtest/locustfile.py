"""Realistic traffic for the tweet app: anonymous readers and logged-in users, every request traced.

Run through `make loadtest` (loadtest/run.py). Weights come from LOADTEST_READER_WEIGHT and
LOADTEST_WRITER_WEIGHT; logged-in users sign up as fresh accounts, so the target's signup and posting
rate limits (RATELIMIT_*) must allow the load you ask for.
"""

import io
import os
import random
import re
import secrets
import struct
import zlib

from locust import HttpUser, between, task

TWEET_ID = re.compile(r'id="tweet-(\d+)"')
NEXT_PAGE = re.compile(r'href="\?cursor=([A-Za-z0-9_-]+)"')
AUTHOR = re.compile(r'class="author" href="/@([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PASSWORD = "load-test-password-" + secrets.token_hex(8)


def traceparent() -> dict:
    """A sampled W3C trace context, so load test traffic shows up in traces."""
    return {"traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"}


def small_png() -> bytes:
    """A valid 8×8 PNG made by hand (the load generator does not need Pillow)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([random.randrange(256)] * 24) for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class Reader(HttpUser):
    """Reads Explore, pages through it, and opens profiles, without logging in."""

    weight = int(os.environ.get("LOADTEST_READER_WEIGHT", 3))
    wait_time = between(0.5, 2)

    @task(5)
    def explore(self):
        response = self.client.get("/explore/", headers=traceparent(), name="/explore/")
        self.cursor = (NEXT_PAGE.findall(response.text or "") or [None])[0]
        self.authors = AUTHOR.findall(response.text or "")

    @task(2)
    def older_page(self):
        cursor = getattr(self, "cursor", None)
        if cursor:
            self.client.get(f"/explore/?cursor={cursor}", headers=traceparent(), name="/explore/?cursor")

    @task(1)
    def profile(self):
        if getattr(self, "authors", None):
            self.client.get(f"/@{random.choice(self.authors)}", headers=traceparent(), name="/@username")


class Writer(HttpUser):
    """Signs up, then reads Home, posts (with and without an image, some mentioning someone), replies,
    reposts, likes, follows and reads their notifications."""

    weight = int(os.environ.get("LOADTEST_WRITER_WEIGHT", 1))
    wait_time = between(1, 3)

    def on_start(self):
        self.username = username = f"load_{secrets.token_hex(6)}"
        token = self._csrf("/accounts/signup/")
        self.client.post(
            "/accounts/signup/",
            data={
                "csrfmiddlewaretoken": token,
                "username": username,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            headers={**traceparent(), "Referer": self.host + "/accounts/signup/"},
            name="/accounts/signup/",
        )

    def _csrf(self, path: str) -> str:
        response = self.client.get(path, headers=traceparent(), name=path)
        found = CSRF.search(response.text or "")
        return found.group(1) if found else ""

    def _post(self, path: str, name: str, **kwargs):
        data = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), **kwargs.pop("data", {})}
        return self.client.post(
            path, data=data, headers={**traceparent(), "Referer": self.host + "/"}, name=name, **kwargs
        )

    @task(5)
    def home(self):
        response = self.client.get("/", headers=traceparent(), name="/ (home)")
        self.tweet_ids = TWEET_ID.findall(response.text or "")
        self.authors = AUTHOR.findall(response.text or "")

    @task(2)
    def post_text(self):
        others = [name for name in getattr(self, "authors", []) if name != self.username]
        mention = f" @{random.choice(others)}" if others else ""
        text = f"Load test says hi{mention} #loadtest {secrets.token_hex(4)}"
        self._post("/tweets/", "/tweets/ (text)", data={"text": text})

    @task(1)
    def reply(self):
        if getattr(self, "tweet_ids", None):
            tweet_id = random.choice(self.tweet_ids)
            self._post(f"/tweets/{tweet_id}/reply/", "/tweets/[id]/reply/", data={"text": "Agreed!"})

    @task(1)
    def repost(self):
        if getattr(self, "tweet_ids", None):
            self._post(f"/tweets/{random.choice(self.tweet_ids)}/repost/", "/tweets/[id]/repost/")

    @task(1)
    def notifications(self):
        self.client.get("/notifications/", headers=traceparent(), name="/notifications/")

    @task(1)
    def post_image(self):
        files = {"image": ("pixel.png", io.BytesIO(small_png()), "image/png")}
        self._post("/tweets/", "/tweets/ (image)", data={"text": "With a picture"}, files=files)

    @task(2)
    def like(self):
        if getattr(self, "tweet_ids", None):
            self._post(f"/tweets/{random.choice(self.tweet_ids)}/like/", "/tweets/[id]/like/")

    @task(1)
    def follow(self):
        others = [name for name in getattr(self, "authors", []) if name != self.username]
        if others:
            self._post(f"/@{random.choice(others)}/follow", "/@username/follow")
