"""Shows with a rundown, and WebSocket clients of the studio consumer as given users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.routing import websocket_urlpatterns
from bizweek.studio import services
from bizweek.studio.models import BroadcastSession, Category
from tests import factories


def make_show(event, host=None, companies=(), **fields) -> BroadcastSession:
    now = timezone.now()
    defaults = {
        "event": event,
        "title_en": "Oasis live PR 1: Consumer goods",
        "title_ko": "오아시스 라이브 PR 1: 소비재",
        "category": Category.CONSUMER_GOODS,
        "starts_at": now - timedelta(minutes=5),
        "ends_at": now + timedelta(minutes=45),
        "host": host,
    }
    defaults.update(fields)
    session = BroadcastSession(**defaults)
    session.save()
    for company in companies:
        products = list(company.products.order_by("position", "pk"))
        services.add_rundown_item(session, company.pk, products, 10)
    return session


@pytest.fixture(autouse=True)
def _presence_at_once(settings):
    settings.BIZWEEK_STUDIO_PRESENCE_SECONDS = 0


@pytest.fixture
def host(transactional_db):
    return factories.make_user(role=Role.HOST, display_name="Host Kim")


@pytest.fixture
def show(transactional_db, host):
    event = factories.make_event()
    first = factories.make_company(name_ko="창원정밀", name_en="Changwon Precision")
    second = factories.make_company(name_ko="부산식품", name_en="Busan Foods")
    factories.make_product(first, name_en="Mini excavator", position=0)
    factories.make_product(first, name_en="Gear reducer", position=1)
    factories.make_product(second, name_en="Kimchi", position=0)
    return make_show(event, host=host, companies=[first, second])


@pytest.fixture
def buyer_member(transactional_db):
    company = factories.make_company(role="buyer", name_en="Bangkok Trading", country="TH")
    return factories.make_member(company, display_name="Somchai")


def as_user(user):
    """The studio's routes, with `user` in the scope as AuthMiddlewareStack would put it."""
    router = URLRouter(websocket_urlpatterns)

    async def app(scope, receive, send):
        return await router(dict(scope, user=user or AnonymousUser()), receive, send)

    return app


async def joined(session, user=None, last_id=0):
    """A connected viewer that has read its welcome message."""
    path = f"/ws/studio/{session.pk}/" + (f"?last_id={last_id}" if last_id else "")
    client = WebsocketCommunicator(as_user(user), path)
    connected, _ = await client.connect()
    assert connected
    welcome = await client.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome"
    client.welcome = welcome
    return client


async def next_of(client, kind, timeout=5):
    """The next message of a type, skipping presence updates and others in between."""
    while True:
        message = await client.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message
