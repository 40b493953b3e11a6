"""Editable profiles: display name, bio and avatar, shown on the profile page and on tweets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from tests.conftest import image_bytes, media_files
from tests.factories import TweetFactory

pytestmark = pytest.mark.django_db


def upload(name="me.png", content=None, content_type="image/png"):
    return SimpleUploadedFile(
        name, image_bytes("PNG", (900, 700)) if content is None else content, content_type
    )


def edit(client, **fields):
    data = {"display_name": "", "bio": "", **fields}
    return client.post(reverse("profile_edit"), data)


def test_the_edit_page_needs_a_login(client):
    response = client.get(reverse("profile_edit"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_saved_profile_shows_on_the_profile_page(
    user_client, user, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = edit(user_client, display_name="  Ada Lovelace ", bio="Counts\nthings", avatar=upload())
    assert response.status_code == 302 and response["Location"] == reverse("profile", args=[user.username])
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Ada Lovelace", "Counts\nthings")
    page = user_client.get(response["Location"]).text
    assert '<span class="display-name">Ada Lovelace</span> <span class="username">@' in page
    assert "Counts<br>things" in page
    assert f'src="{user.avatar.url}"' in page
    # The pipeline's re-encoded image, bounded like a thumbnail.
    assert media_files(media_root) == [user.avatar.name]
    assert user.avatar.width <= 640 and user.avatar.height <= 640


def test_a_new_name_and_avatar_show_on_tweets_already_cached(
    user_client, user, client, django_capture_on_commit_callbacks
):
    TweetFactory(author=user, text="hello world")
    assert "Ada" not in client.get(reverse("explore")).text  # the row is now cached
    with django_capture_on_commit_callbacks(execute=True):
        edit(user_client, display_name="Ada", avatar=upload())
    user.refresh_from_db()
    page = client.get(reverse("explore")).text
    assert '<span class="display-name">Ada</span>' in page
    assert f'src="{user.avatar.url}"' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"display_name": "x" * 51}, "A display name can have at most 50 characters (it has 51)."),
        ({"display_name": "\u200b\u200b"}, "A display name needs a visible character"),
        ({"display_name": "two\nlines"}, "A display name is one line"),
        ({"bio": "y" * 161}, "A bio can have at most 160 characters (it has 161)."),
        ({"bio": "nul\x00"}, "Null characters are not allowed."),
    ],
)
def test_bad_text_is_a_form_error_and_changes_nothing(user_client, user, fields, message):
    user.display_name, user.bio = "Before", "Old bio"
    user.save()
    response = edit(user_client, **{"display_name": "Changed", **fields})
    assert response.status_code == 400
    assert message in response.text
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Before", "Old bio")


@pytest.mark.parametrize(
    ("avatar", "message"),
    [
        (upload("a.png", b"not an image at all"), "The file is not an image we can read"),
        (upload("a.bmp", image_bytes("BMP"), "image/bmp"), "BMP images are not accepted"),
        (upload("a.png", image_bytes("PNG")[:60]), "The image is damaged or truncated."),
    ],
)
def test_a_bad_avatar_is_a_form_error_and_changes_nothing(user_client, user, media_root, avatar, message):
    response = edit(user_client, display_name="Changed", avatar=avatar)
    assert response.status_code == 400
    assert message in response.text
    user.refresh_from_db()
    assert (user.display_name, user.avatar.name) == ("", "")
    assert media_files(media_root) == []


def test_an_avatar_too_large_is_refused(user_client, user, settings):
    settings.IMAGE_MAX_BYTES = 100
    response = edit(user_client, avatar=upload())
    assert response.status_code == 400 and "the limit is" in response.text
    user.refresh_from_db()
    assert not user.avatar


def test_replacing_and_removing_the_avatar_deletes_the_old_file(
    user_client, user, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        edit(user_client, avatar=upload())
    first = User.objects.get(pk=user.pk).avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        edit(user_client, avatar=upload())
    second = User.objects.get(pk=user.pk).avatar.name
    assert second != first and media_files(media_root) == [second]
    with django_capture_on_commit_callbacks(execute=True):
        edit(user_client, remove_avatar="on")
    assert not User.objects.get(pk=user.pk).avatar
    assert media_files(media_root) == []


def test_the_edit_form_shows_the_current_profile(user_client, user):
    user.display_name, user.bio = "Grace", "Compilers"
    user.save()
    page = user_client.get(reverse("profile_edit")).text
    assert 'value="Grace"' in page and "Compilers</textarea>" in page


def test_a_profile_without_a_display_name_shows_the_username_alone(client, user):
    page = client.get(reverse("profile", args=[user.username])).text
    assert f"<h1>@{user.username}</h1>" in page
