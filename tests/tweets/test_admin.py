import pytest

from tests.factories import TweetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_searches_tweets_by_text_and_author(staff_client):
    TweetFactory(text="needle in a haystack")
    TweetFactory(text="just hay", author=UserFactory(username="farmer"))
    by_text = staff_client.get("/admin/tweets/tweet/", {"q": "needle"}).text
    assert "needle in a haystack" in by_text and "just hay" not in by_text
    by_author = staff_client.get("/admin/tweets/tweet/", {"q": "farmer"}).text
    assert "just hay" in by_author and "needle" not in by_author


def test_admin_filters_tweets_by_author_and_date(staff_client):
    author = UserFactory()
    TweetFactory(text="kept", author=author)
    TweetFactory(text="filtered out")
    page = staff_client.get("/admin/tweets/tweet/", {"author__id__exact": author.pk}).text
    assert "kept" in page and "filtered out" not in page
    today = TweetFactory(text="dated").created_at
    page = staff_client.get(
        "/admin/tweets/tweet/",
        {"created_at__year": today.year, "created_at__month": today.month, "created_at__day": today.day},
    ).text
    assert "dated" in page


def test_admin_pages_of_the_new_models_open_and_show_no_token_digest(staff_client):
    from api import tokens
    from tweets import services

    author, reader = UserFactory(), UserFactory()
    tweet = services.tweet_create(author=author, text=f"#admin for @{reader.username}")
    services.tweet_like(tweet=tweet, user=reader)
    row, token = tokens.token_create(user=reader, name="script")
    assert staff_client.get(f"/admin/tweets/tweet/{tweet.pk}/change/").status_code == 200
    assert "like" in staff_client.get("/admin/notifications/notification/").text
    page = staff_client.get(f"/admin/api/accesstoken/{row.pk}/change/")
    assert page.status_code == 200 and row.digest not in page.text and token not in page.text
    assert staff_client.get("/admin/api/accesstoken/add/").status_code == 403
