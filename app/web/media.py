"""Uploaded images served by Django, for deployments without a front proxy that serves MEDIA_ROOT."""

from django.conf import settings
from django.views.static import serve


def serve_media(request, path: str):
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    # Names are random and never reused, so a browser may keep a file as long as it likes.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
