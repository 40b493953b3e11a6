import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Follow, User
from tests.factories import PASSWORD, FollowFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_creates_a_user_with_a_hashed_password_and_logs_in(client):
    response = client.post(
        reverse("signup"), {"username": "alice", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    user = User.objects.get(username="alice")
    assert PASSWORD not in user.password and user.check_password(PASSWORD)
    assert "Welcome, alice!" in client.get(response["Location"]).text


def test_signup_rejects_a_weak_password(client):
    response = client.post(reverse("signup"), {"username": "bob", "password1": "123", "password2": "123"})
    assert response.status_code == 400
    assert "This password is too short" in response.text
    assert not User.objects.filter(username="bob").exists()


def test_login_and_logout(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert f"@{user.username}" in client.get(reverse("home")).text
    client.post(reverse("logout"))
    assert client.get(reverse("home"))["Location"] == reverse("explore")


def test_login_with_a_wrong_password_says_so(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text


def test_login_never_redirects_off_site(client, user):
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_follow_and_unfollow(user_client, user, other_user):
    response = user_client.post(reverse("follow", args=[other_user.username]))
    assert response.status_code == 302
    assert Follow.objects.filter(follower=user, followee=other_user).exists()
    assert "1 followers" in user_client.get(f"/@{other_user.username}").text
    user_client.post(reverse("unfollow", args=[other_user.username]))
    assert not Follow.objects.exists()


def test_following_twice_is_idempotent(user_client, user, other_user):
    FollowFactory(follower=user, followee=other_user)
    assert user_client.post(reverse("follow", args=[other_user.username])).status_code == 302
    assert Follow.objects.count() == 1


def test_following_yourself_is_a_400_with_a_message(user_client, user):
    response = user_client.post(reverse("follow", args=[user.username]))
    assert response.status_code == 400
    assert "You cannot follow yourself." in response.text
    assert not Follow.objects.exists()


def test_following_a_missing_user_is_404(user_client):
    assert user_client.post(reverse("follow", args=["ghost"])).status_code == 404


def test_follow_requires_post(user_client, other_user):
    assert user_client.get(reverse("follow", args=[other_user.username])).status_code == 405


def test_the_database_refuses_a_username_that_differs_only_in_case(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username=user.username.upper(), password=PASSWORD)
    assert User.objects.filter(username__iexact=user.username).count() == 1


def test_signup_refuses_a_taken_name_in_another_case(client, user):
    response = client.post(
        reverse("signup"), {"username": user.username.upper(), "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400 and "already exists" in response.text
    assert User.objects.count() == 1


def test_a_signup_that_loses_the_race_for_a_name_is_a_validation_error(user):
    # The form checked the name before the other sign-up committed: only the database sees it.
    from accounts.services import user_signup

    with pytest.raises(ValidationError, match="already exists"):
        user_signup(username=user.username.upper(), password=PASSWORD)
    assert User.objects.count() == 1


def test_a_profile_url_in_another_case_redirects_to_the_canonical_one(client):
    UserFactory(username="Alice")
    response = client.get("/@aLICE")
    assert response.status_code == 301 and response["Location"] == "/@Alice"
    assert client.get("/@Alice").status_code == 200
    assert client.get("/@nobody-at-all").status_code == 404


def test_following_by_a_url_in_another_case_follows_the_user(user_client, user):
    alice = UserFactory(username="Alice")
    response = user_client.post("/@ALICE/follow")
    assert response.status_code == 302 and response["Location"] == "/@Alice"
    assert Follow.objects.filter(follower=user, followee=alice).exists()
