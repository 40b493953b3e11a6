"""app/config/limits.env, the one declaration of the upload limits: the sum Compose needs written out
is the sum, and the app and nginx agree in every runtime."""

from django.conf import settings

from config.timeouts import declared
from stack import render
from tests.conftest import REPO

LIMITS = declared(REPO / "app" / "config" / "limits.env")


def test_nginx_body_limit_written_for_compose_is_the_image_limit_plus_the_form_overhead():
    assert (
        LIMITS["NGINX_CLIENT_MAX_BODY_SIZE"]
        == LIMITS["IMAGE_MAX_BYTES"] + LIMITS["UPLOAD_FORM_OVERHEAD_BYTES"]
    )


def test_the_app_and_the_native_stack_read_the_same_limits():
    assert LIMITS["IMAGE_MAX_BYTES"] == settings.IMAGE_MAX_BYTES
    assert render.upload_form_overhead() == LIMITS["UPLOAD_FORM_OVERHEAD_BYTES"]
