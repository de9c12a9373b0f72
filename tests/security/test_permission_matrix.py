"""Every URL pattern x every role answers the status the table in matrix.py says.

The patterns come from Django's URL resolver, so a new view without a row fails here with the
line to add. Run with MATRIX_PRINT=1 to print what each pattern answers now, in table syntax.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from bizweek.accounts.models import ApiToken, Role, User
from bizweek.companies.models import Company, CompanyStatus, ImportJob, ImportState, Sector
from bizweek.dashboard.models import Export, ExportStatus
from bizweek.expo.models import Brochure, Product, ProductPhoto
from bizweek.matching.models import MeetingRequest
from bizweek.matching.talk import MoveProposal
from bizweek.meetings.models import Meeting
from bizweek.notifications.models import Notification
from bizweek.studio.models import BroadcastSession, RundownItem
from tests import factories

from .matrix import API, NOT_REQUESTED, PAGES, REFUSED, ROLES, WEBSOCKETS

pytestmark = pytest.mark.django_db


def url_patterns(patterns=None, prefix: str = "", namespace: str | None = None):
    """(route, name) of every pattern the resolver knows; the admin site is one entry."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            space = pattern.namespace or namespace
            if space == "admin":
                yield prefix + str(pattern.pattern), "admin:index"
                continue
            if space and pattern.namespace and namespace:
                space = f"{namespace}:{pattern.namespace}"
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or pattern.lookup_str.rsplit(".", 1)[-1]
            yield prefix + str(pattern.pattern), f"{namespace}:{name}" if namespace else name


@dataclass
class World:
    users: dict[str, User | None]
    seller: Company
    owner: User
    buyer_company: Company
    pending: Company
    product: Product
    photo: ProductPhoto
    brochure: Brochure
    request: MeetingRequest
    meeting: Meeting
    notification: Notification
    token: ApiToken
    raw_tokens: dict[str, str]
    sector: Sector | None
    session: BroadcastSession
    move: MoveProposal
    export: Export
    import_job: ImportJob


@pytest.fixture
def world(db, settings) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def build_world() -> World:
    """One of each role and each object the views need (see the module docstring of matrix.py)."""
    event = factories.make_event()
    sector = Sector.objects.first()
    seller = factories.make_company(name_en="Target Seller", contact_email="sales@target.test")
    owner = factories.make_member(seller)
    buyer_company = factories.make_company(role="buyer", country="TH", timezone="Asia/Bangkok")
    other_seller = factories.make_company()
    pending = factories.make_company(status=CompanyStatus.PENDING, role="buyer")
    users = {
        "anonymous": None,
        "visitor": factories.make_user(Role.VISITOR),
        "buyer": factories.make_member(buyer_company),
        "exhibitor": factories.make_member(other_seller),
        "pending": factories.make_member(pending),
        "interpreter": factories.make_user(Role.INTERPRETER, languages="ko-en"),
        "host": factories.make_user(Role.HOST),
        "organizer": factories.make_organizer(),
    }
    product = factories.make_product(seller, name_en="Pump")
    photo = ProductPhoto.objects.create(
        product=product,
        image="products/x.png",
        thumbnail="products/thumbs/x.png",
        width=1,
        height=1,
    )
    brochure = Brochure.objects.create(company=seller, title="B", file="brochures/x.pdf", pages=1)
    starts = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    request = MeetingRequest.objects.create(
        event=event,
        from_company=buyer_company,
        to_company=seller,
        awaiting=seller,
        created_by=users["buyer"],
        message="Hello",
    )
    meeting = Meeting.objects.create(
        event=event,
        seller=seller,
        buyer=buyer_company,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        needs_interpreter=True,
        interpreter=users["interpreter"],
    )
    notification = Notification.objects.create(user=users["buyer"], kind="t", title="T")
    token, _raw = ApiToken.issue(users["buyer"], "t")
    raw_tokens = {
        role: ApiToken.issue(user, "matrix")[1] for role, user in users.items() if user is not None
    }
    move = MoveProposal.objects.create(
        meeting=meeting,
        proposed_by=seller,
        created_by=owner,
        times=[(starts + timedelta(hours=2)).isoformat()],
        old_starts_at=starts,
    )
    export = Export.objects.create(
        requested_by=users["organizer"], status=ExportStatus.DONE, file_name="gone.xlsx"
    )
    import_job = ImportJob.objects.create(
        created_by=users["organizer"],
        file_name="companies.csv",
        state=ImportState.DONE,
        report={"ok": True, "summary": "Imported", "errors": [], "notes": []},
    )
    session = BroadcastSession.objects.create(
        event=event,
        title="Show",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        host=users["host"],
    )
    RundownItem.objects.create(session=session, company=seller)
    return World(
        users=users,
        seller=seller,
        owner=owner,
        buyer_company=buyer_company,
        pending=pending,
        product=product,
        photo=photo,
        brochure=brochure,
        request=request,
        meeting=meeting,
        notification=notification,
        token=token,
        raw_tokens=raw_tokens,
        sector=sector,
        session=session,
        move=move,
        export=export,
        import_job=import_job,
    )


def _client(world: World, role: str) -> Client:
    client = Client(HTTP_USER_AGENT="matrix", REMOTE_ADDR="192.0.2.10")
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


def _call(client: Client, method: str, url: str, **extra: object) -> int:
    """One request whose writes are rolled back, so every role meets the same world."""
    cache.clear()
    with transaction.atomic():
        response = getattr(client, method.lower())(url, **extra)
        transaction.set_rollback(True)
    return response.status_code


def _expected(table_row: dict, role: str) -> int | set[int]:
    return table_row.get(role, table_row.get("*"))


def _matches(expected: int | set[int], status: int) -> bool:
    return status in expected if isinstance(expected, set) else status == expected


def test_every_url_pattern_has_a_row():
    missing = [
        (route, name)
        for route, name in url_patterns()
        if not name.startswith("api-v1:") and name not in PAGES and name not in NOT_REQUESTED
    ]
    assert not missing, "Add rows to tests/security/matrix.py PAGES for: " + ", ".join(
        f'"{name}" ({route})' for route, name in missing
    )


def test_every_api_route_has_a_row():
    from bizweek.api.api import api

    schema = api.get_openapi_schema()
    routes = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    missing = sorted(routes - set(API))
    assert not missing, "Add rows to tests/security/matrix.py API for: " + ", ".join(
        f'("{method}", "{path}")' for method, path in missing
    )


def _page_names() -> list[str]:
    names = {name for _route, name in url_patterns()}
    return sorted(name for name in PAGES if name in names)


@pytest.mark.parametrize("name", _page_names())
def test_page_answers_each_role_as_the_table_says(world, name):
    method, kwargs, expectations = PAGES[name]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    seen = {role: _call(_client(world, role), method, url) for role in ROLES}
    if os.environ.get("MATRIX_PRINT"):
        print(f"MATRIX {name!r} {seen!r}")
    wrong = {
        role: (status, _expected(expectations, role))
        for role, status in seen.items()
        if not _matches(_expected(expectations, role), status)
    }
    assert not wrong, f"{method} {url}: role -> (got, expected): {wrong}"


@pytest.mark.parametrize("route", sorted(API, key=str))
def test_api_route_answers_each_role_as_the_table_says(world, route):
    method, path = route
    kwargs, body, expectations = API[route]
    url = path.format(**(kwargs(world) if kwargs else {}))
    seen = {}
    for role in ROLES:
        headers = {}
        if world.users[role] is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {world.raw_tokens[role]}"
        client = Client(HTTP_USER_AGENT="matrix", REMOTE_ADDR="192.0.2.10")
        extra = {"content_type": "application/json", "data": body} if method == "POST" else {}
        seen[role] = _call(client, method, url, **headers, **extra)
    if os.environ.get("MATRIX_PRINT"):
        print(f"MATRIX {route!r} {seen!r}")
    wrong = {
        role: (status, _expected(expectations, role))
        for role, status in seen.items()
        if not _matches(_expected(expectations, role), status)
    }
    assert not wrong, f"{method} {url}: role -> (got, expected): {wrong}"


def test_every_websocket_route_has_a_row():
    from bizweek.routing import websocket_urlpatterns

    routes = [str(pattern.pattern) for pattern in websocket_urlpatterns]
    missing = [route for route in routes if route not in WEBSOCKETS]
    assert not missing, "Add rows to tests/security/matrix.py WEBSOCKETS for: " + ", ".join(
        f'"{route}"' for route in missing
    )
    assert sorted(WEBSOCKETS) == sorted(routes), "rows for routes that no longer exist"


@pytest.fixture
def ws_world(transactional_db, settings) -> World:
    """The same world, committed: consumers read the database from another thread."""
    from channels.layers import channel_layers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    channel_layers.backends = {}  # each asyncio.run below has its own event loop
    world = build_world()
    now = timezone.now()  # the room is open from a few minutes before the start to the end
    Meeting.objects.filter(pk=world.meeting.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=25)
    )
    yield world
    channel_layers.backends = {}


def _site_origin() -> bytes:
    """An origin the server accepts: a host of ALLOWED_HOSTS as the origin check read it when
    routing.py was imported (before the test settings added "testserver", in a full run)."""
    from bizweek.routing import websocket_application

    hosts = [h for h in websocket_application.allowed_origins if h != "*" and h[0] != "."]
    return f"http://{hosts[0] if hosts else 'localhost'}".encode()


async def _connect(path: str, cookie: str, origin: bytes | None = None) -> str:
    """Connect as the holder of the session cookie; what the socket granted, or "refused"."""
    from channels.testing import WebsocketCommunicator

    from bizweek.routing import websocket_application

    headers = [(b"origin", origin or _site_origin()), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    communicator = WebsocketCommunicator(websocket_application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if not connected:
        return REFUSED if code == 4403 else f"closed {code}"
    try:
        if path.startswith("/ws/meetings/tower/"):
            return "tower"
        welcome = await communicator.receive_json_from(timeout=5)
        if welcome.get("type") != "welcome":
            return f"{welcome.get('type')}: {welcome.get('code', '')}"
        if path.startswith("/ws/meetings/"):
            return "joined"
        you = welcome["you"]
        return "moderator" if you["moderator"] else "chat" if you["can_chat"] else "watch"
    finally:
        await communicator.disconnect()


def test_websocket_routes_accept_and_refuse_each_role_as_the_table_says(ws_world):
    """Every WebSocket route x every role, through the origin check and the session cookie."""
    import asyncio

    cookies = {}
    for role, user in ws_world.users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value if user else ""
    problems = {}
    for route, (kwargs, expectations) in WEBSOCKETS.items():
        path = "/" + route
        for name, value in (kwargs(ws_world) if kwargs else {}).items():
            path = path.replace(f"<int:{name}>", str(value))
        seen = {role: asyncio.run(_connect(path, cookies[role])) for role in ROLES}
        if os.environ.get("MATRIX_PRINT"):
            print(f"MATRIX {route!r} {seen!r}")
        wrong = {
            role: (got, _expected(expectations, role))
            for role, got in seen.items()
            if got != _expected(expectations, role)
        }
        if wrong:
            problems[route] = wrong
        # A page of another site cannot open the socket with the visitor's cookie.
        foreign = asyncio.run(_connect(path, cookies["organizer"], b"https://evil.example"))
        if foreign in ("tower", "joined", "moderator", "chat", "watch"):
            problems[f"{route} from another origin"] = foreign
    assert not problems, f"route: role -> (got, expected): {problems}"
