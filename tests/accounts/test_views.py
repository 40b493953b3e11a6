import pytest
from django.urls import reverse

from accounts.models import Follow, User
from tests.factories import PASSWORD, FollowFactory

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
