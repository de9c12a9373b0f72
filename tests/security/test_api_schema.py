"""schemathesis against /api/v1/openapi.json: generated requests, anonymous and with a token,
must never cause a server error, and every response must be one the schema documents.

Bounded for CI: a few examples per operation (hypothesis derandomised, so runs repeat).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bizweek.accounts.models import ApiToken
from bizweek.api.api import api
from tests import factories

# The schema /api/v1/openapi.json serves, built at collection (requesting it would need the
# database, which collection may not use); requests go to the WSGI application.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(), default=str))
)
schema.app = get_wsgi_application()

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_served_schema_is_the_one_tested(client):
    assert (
        client.get("/api/v1/openapi.json").json()["paths"].keys()
        == schema.raw_schema["paths"].keys()
    )


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI handler closes the database connection after each request, as a server's
    should; the test database lives in that connection's transaction (Django's test client
    disconnects the same signal)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_world(db):
    seller = factories.make_company(name_en="Seller", contact_email="s@x.test")
    factories.make_product(seller, name_en="Pump")
    buyer_company = factories.make_company(role="buyer", country="TH", timezone="Asia/Bangkok")
    member = factories.make_member(buyer_company)
    _token, raw = ApiToken.issue(member, "schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_anonymous_conforms_to_its_schema(case, api_world):
    cache.clear()  # throttles are not what is tested here
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_with_a_token_conforms_to_its_schema(case, api_world):
    cache.clear()
    case.call_and_validate(headers=api_world, checks=CHECKS)


def test_served_schema_has_no_duplicate_status_keys(client):
    raw = client.get("/api/v1/openapi.json").content.decode()
    pairs_seen = []

    def no_duplicates(pairs):
        keys = [key for key, _value in pairs]
        pairs_seen.append(len(keys) == len(set(keys)))
        return dict(pairs)

    json.loads(raw, object_pairs_hook=no_duplicates)
    assert all(pairs_seen)
