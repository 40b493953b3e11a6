import pytest

from api import tokens


@pytest.fixture
def token(user):
    _, raw = tokens.token_create(user=user, name="tests")
    return raw


@pytest.fixture
def api(client, token):
    """A client that sends the user's token, as a program would."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client
