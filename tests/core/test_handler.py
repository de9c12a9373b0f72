"""The HTTP handler the server runs (core/handler.py), driven over ASGI as uvicorn drives it.

The test client and Playwright's live server go through Django's WSGI handler, so these are
the tests of the path production requests take.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.signals import request_finished
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

from bizweek.core.handler import PooledHTTPHandler
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = 100_000
finished: list[str] = []


def _stream(request):
    def parts():
        for index in range(3):
            yield bytes([65 + index]) * CHUNK

    return StreamingHttpResponse(parts(), content_type="application/octet-stream")


def _fail(request):
    raise RuntimeError("secret detail of a broken view")


def _hello(request):
    return HttpResponse(f"hello {request.GET.get('name', '')}")


urlpatterns = [path("stream/", _stream), path("fail/", _fail), path("hello/", _hello)]


@pytest.fixture
def handler():
    handler = PooledHTTPHandler(threads=1)
    yield handler
    # The pool thread's connections are its own: close them before the test database goes.
    handler.executor.submit(connections.close_all).result()
    handler.executor.shutdown()


def request(handler, method="GET", url="/", body=b"", headers=()):
    """One request over ASGI; returns (status, headers as a list, body, body messages)."""
    path_part, _, query = url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path_part,
        "raw_path": path_part.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }

    async def run():
        app = ApplicationCommunicator(handler, scope)
        await app.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await app.receive_output(10)
        messages = []
        while True:
            message = await app.receive_output(10)
            messages.append(message)
            if not message.get("more_body"):
                break
        await app.wait(10)
        return start, messages

    start, messages = async_to_sync(run)()
    content = b"".join(m.get("body", b"") for m in messages)
    return start["status"], start["headers"], content, messages


def cookies_from(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for name, value in headers:
        if name.lower() == b"set-cookie":
            jar.load(value.decode())
    return {name: morsel.value for name, morsel in jar.items()}


def test_a_visitor_signs_in_through_the_server_handler(handler, event):
    factories.make_organizer(email="organizer@example.test")
    status, headers, page, _ = request(handler, url="/accounts/login/")
    assert status == 200
    jar = cookies_from(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": "organizer@example.test",
            "password": factories.PASSWORD,
        }
    ).encode()
    status, headers, _, _ = request(
        handler,
        "POST",
        "/accounts/login/",
        body=form,
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"cookie", "; ".join(f"{k}={v}" for k, v in jar.items()).encode()),
            (b"referer", b"http://127.0.0.1/accounts/login/"),
        ],
    )
    assert status == 302, "the form (body, CSRF cookie and token) reached the view"
    assert "sessionid" in cookies_from(headers)


def test_a_pool_thread_keeps_its_database_connection(handler, event):
    opened: list[object] = []

    def count(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(count)
    try:
        for _ in range(5):
            status, *_ = request(handler, url="/hall/")
            assert status == 200
    finally:
        connection_created.disconnect(count)
    # Django's own ASGI handler opens one per request (a new thread each time).
    assert len(opened) == 1


def test_a_streaming_response_arrives_whole_and_closes_once(handler, settings):
    settings.ROOT_URLCONF = __name__

    def note(**kwargs):
        finished.append("finished")

    finished.clear()
    request_finished.connect(note)
    try:
        status, _, content, messages = request(handler, url="/stream/")
    finally:
        request_finished.disconnect(note)
    assert status == 200
    assert content == b"A" * CHUNK + b"B" * CHUNK + b"C" * CHUNK
    assert len(messages) > 3, "sent as it was read, not gathered first"
    assert finished == ["finished"]


def test_a_broken_view_shows_an_error_page_without_details(handler, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    status, _, content, _ = request(handler, url="/fail/")
    assert status == 500
    assert b"secret detail" not in content and b"Traceback" not in content


def test_query_strings_and_languages_are_per_request(handler, settings, event):
    status, _, content, _ = request(handler, url="/hall/", headers=[(b"accept-language", b"ko")])
    assert status == 200 and b'lang="ko"' in content
    status, _, content, _ = request(handler, url="/hall/")
    assert status == 200 and b'lang="en"' in content
    settings.ROOT_URLCONF = __name__
    assert request(handler, url="/hello/?name=Mina")[2] == b"hello Mina"


def test_server_start_and_graceful_stop_run_their_tasks():
    from bizweek.core.handler import with_lifespan

    calls: list[str] = []

    async def http_app(scope, receive, send):  # pragma: no cover - not called
        raise AssertionError("lifespan messages must not reach the HTTP app")

    app = with_lifespan(
        http_app,
        on_startup=lambda: calls.append("started"),
        on_shutdown=lambda: calls.append("flushed"),
    )

    async def run():
        communicator = ApplicationCommunicator(app, {"type": "lifespan"})
        await communicator.send_input({"type": "lifespan.startup"})
        started = await communicator.receive_output(5)
        assert calls == ["started"]
        await communicator.send_input({"type": "lifespan.shutdown"})
        stopped = await communicator.receive_output(5)
        return started, stopped

    started, stopped = async_to_sync(run)()
    assert started == {"type": "lifespan.startup.complete"}
    assert stopped == {"type": "lifespan.shutdown.complete"}
    assert calls == ["started", "flushed"]


def test_body_beyond_the_form_ceiling_is_refused_before_reading(handler, settings):
    settings.BIZWEEK_MAX_FORM_BODY = 1000
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", b"1073741824"),
    ]
    status, _headers, body, _ = request(handler, "POST", "/hello/", b"", headers)
    assert status == 413
    assert b"too large" in body


def test_chunked_body_beyond_the_ceiling_is_refused(handler, settings):
    settings.BIZWEEK_MAX_FORM_BODY = 1000
    headers = [(b"content-type", b"application/json")]
    status, _headers, _body, _ = request(handler, "POST", "/hello/", b"x" * 5000, headers)
    assert status == 413


def test_multipart_upload_has_its_own_larger_ceiling(handler, settings):
    settings.BIZWEEK_MAX_FORM_BODY = 1000
    settings.BIZWEEK_MAX_UPLOAD_BODY = 100_000
    headers = [(b"content-type", b"multipart/form-data; boundary=x")]
    status, _headers, _body, _ = request(handler, "POST", "/hello/", b"x" * 5000, headers)
    assert status != 413
    status, *_rest = request(handler, "POST", "/hello/", b"x" * 200_000, headers)
    assert status == 413
