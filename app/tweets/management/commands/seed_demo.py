"""Seed a demo account with sample tweets; running it again adds nothing that is already there."""

import io
import os
import secrets
from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image

from accounts.models import User
from tweets import fanout
from tweets.images import process_image
from tweets.models import Tweet

DEMO_USERNAME = "demo"
SAMPLE_TEXTS = [
    "Hello from the observable tweet stack! #{n}",
    "Every request here is a metric, a log line and a trace. Tweet #{n}",
    "Keyset pagination keeps page {n} as cheap as page 1.",
    "Tweet #{n}: nginx → gunicorn → Django → PostgreSQL, and back.",
]


def _sample_image(n: int) -> dict:
    """A generated picture, put through the same validation and re-encoding as an upload."""
    picture = Image.radial_gradient("L").resize((800, 450)).convert("RGB")
    tint = Image.new("RGB", picture.size, ((n * 53) % 256, (n * 97) % 256, 180))
    buffer = io.BytesIO()
    Image.blend(picture, tint, 0.6).save(buffer, format="JPEG")
    processed = process_image(SimpleUploadedFile("sample.jpg", buffer.getvalue()))
    return {
        "image": default_storage.save(f"tweets/seed/{processed.image.name}", processed.image),
        "thumbnail": default_storage.save(
            f"tweets/seed/thumbs/{processed.thumbnail.name}", processed.thumbnail
        ),
    }


class Command(BaseCommand):
    help = (
        "Create the demo account (password from DEMO_PASSWORD, or generated and printed once) and N tweets."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tweets", type=int, default=30, help="how many sample tweets the demo account has"
        )
        parser.add_argument(
            "--images-every", type=int, default=5, help="every Nth new tweet gets a generated image (0: none)"
        )

    @transaction.atomic
    def handle(self, *args, tweets: int, images_every: int, **options):
        user = User.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
            user = User.objects.create_user(username=DEMO_USERNAME, password=password)
            shown = "from DEMO_PASSWORD" if os.environ.get("DEMO_PASSWORD") else password
            self.stdout.write(f"Created user '{DEMO_USERNAME}' with password: {shown} (shown only this once)")
        existing = Tweet.objects.filter(author=user).count()
        missing = max(tweets - existing, 0)
        start = timezone.now() - timedelta(minutes=missing)
        Tweet.objects.bulk_create(
            Tweet(
                author=user,
                text=SAMPLE_TEXTS[n % len(SAMPLE_TEXTS)].format(n=n + 1),
                created_at=start + timedelta(minutes=n - existing),
                **(_sample_image(n) if images_every and n % images_every == 0 else {}),
            )
            for n in range(existing, existing + missing)
        )
        if missing:
            # Added behind the fan-out's back: the sets that may lack them are rebuilt when next read.
            transaction.on_commit(lambda: fanout.forget_author(user.pk))
        self.stdout.write(f"Demo account has {existing + missing} tweets ({missing} added).")
