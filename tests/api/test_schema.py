"""Property-based tests of the JSON API from its own OpenAPI document (schemathesis): for requests
generated from the schema, valid and not, no endpoint answers 500, every status, content type and
body is one the document declares, and invalid input is refused with a 4xx."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from api.main import api
from tests.factories import TweetFactory, UserFactory

# The document the app serves at /api/openapi.json (tests/api/test_endpoints.py reads it there).
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def in_the_test_transaction():
    """Django closes the database connection at the end of each request; the test client stops it
    doing so (the test's transaction lives on that connection), and so must a WSGI app under test."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def something_to_act_on(db, user):
    # Tweets and people the generated ids and names may hit.
    for number in range(3):
        author = UserFactory(username=f"someone{number}")
        TweetFactory(author=author, text=f"tweet #tag{number} @{user.username}")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_schema_for_any_request(case, token, something_to_act_on, in_the_test_transaction):
    # A cursor is opaque: no schema can say which strings are ones the API issued, so a well-formed
    # string that is none is rightly a 400, which this check would call a valid request refused.
    excluded = [schemathesis.checks.positive_data_acceptance]
    if case.media_type == "multipart/form-data":
        # Form fields are strings on the wire: a "text" generated as the integer 0 arrives as "0", a
        # valid text, and this check would call its acceptance a schema violation.
        excluded.append(schemathesis.checks.negative_data_rejection)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        # As gunicorn sets it (the rate limits count per client address).
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        excluded_checks=excluded,
    )
