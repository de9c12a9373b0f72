"""Django's HTTP handling inside the ASGI server, run the way a WSGI server runs it.

Django's own `ASGIHandler` runs synchronous middleware and views through `sync_to_async`
inside a fresh `ThreadSensitiveContext` per request: every request gets a new thread, so a
new database connection (persistent connections cannot work, Django's docs say so), plus
several hand-offs between the event loop and that thread, one per synchronous middleware and
signal. All of Bizweek's views and middleware are synchronous. Measured at demo scale 10 with
50 clients (docs/decisions.md): 6.7 ms of server CPU per cached booth page through
`ASGIHandler`, 1.7 ms for the same page through Django's WSGI handler.

`PooledHTTPHandler` keeps the ASGI server (uvicorn, one port, WebSockets through Channels)
and Django's request and response classes, but runs the synchronous handler chain in a fixed
pool of long-lived threads, like a threaded WSGI server: one hand-off per request, one
database connection per thread kept for `CONN_MAX_AGE`. The request body is read in the
event loop first (spooled to disk past `FILE_UPLOAD_MAX_MEMORY_SIZE`, as Django does), and
streaming responses (files, exports) are read in the pool a chunk at a time, so neither a
large upload nor a large download is held in memory.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase, HttpResponseServerError
from django.urls import set_script_prefix

logger = logging.getLogger("django.request")  # where Django logs failed requests

# What a body iterator returns when it is exhausted (a sentinel, since chunks may be b"").
_END = object()


class PooledHTTPHandler(ASGIHandler):
    """An ASGI application for HTTP that serves Django from a pool of threads.

    Each request runs in its own empty `contextvars.Context`, so the language, time zone and
    URL prefix a request activates never leak into the next one that thread serves.
    """

    def __init__(self, threads: int) -> None:
        # BaseHandler, not ASGIHandler: the middleware chain is loaded synchronous, as
        # WSGIHandler loads it, since it runs in the pool threads.
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = threads
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"PooledHTTPHandler serves HTTP only, not {scope['type']}")
        limit = body_limit(scope)
        if _declared_length(scope) > limit:
            await _refuse_too_large(send, limit)  # before reading a byte of it
            return
        try:
            body_file = await self.read_body(receive, limit)
        except RequestAborted:
            return
        except BodyTooLarge:
            await _refuse_too_large(send, limit)
            return
        loop = asyncio.get_running_loop()

        def in_pool(function: Any, *args: Any) -> Any:
            return loop.run_in_executor(self.executor, function, *args)

        try:
            response = await in_pool(self._respond, scope, body_file)
            try:
                if response.streaming and not response.is_async:
                    # Django's sender reads a synchronous iterator whole; read it in the pool,
                    # a part at a time, by handing Django an asynchronous one.
                    response.streaming_content = _read_in_pool(
                        iter(response.streaming_content), in_pool
                    )
                await self.send_response(response, send)
            finally:
                if response.streaming:  # non-streaming responses were closed in the pool
                    await in_pool(response.close)
        finally:
            body_file.close()

    async def read_body(self, receive: Any, limit: int | None = None) -> Any:
        """Django's read_body, stopping at `limit` bytes (bodies sent without a length)."""
        body_file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by the caller)
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        )
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body_file.close()
                raise RequestAborted()
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                body_file.close()
                raise BodyTooLarge
            body_file.write(chunk)
            if not message.get("more_body", False):
                break
        body_file.seek(0)
        return body_file

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """Run Django's synchronous handler for one request (in a pool thread)."""
        try:
            set_script_prefix(get_script_prefix(scope))
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, error_response = self.create_request(scope, body_file)
            response = error_response if request is None else self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        except Exception:  # get_response turns view errors into pages; this is the rest
            logger.exception("Request failed outside the view: %s", scope.get("path"))
            response = HttpResponseServerError("Internal Server Error", content_type="text/plain")
        if not response.streaming:
            # Its content is in memory: close it here, in the thread that served it, so
            # `request_finished` (which ends the request's database use) runs in that thread.
            response.close()
        return response


class BodyTooLarge(Exception):
    """The request body went past the ceiling for its kind."""


def body_limit(scope: dict[str, Any]) -> int:
    """The largest body accepted for this kind of request (docs/security.md): file uploads
    (multipart) up to `BIZWEEK_MAX_UPLOAD_BODY`, everything else (forms, JSON) up to
    `BIZWEEK_MAX_FORM_BODY`, which no page without a file comes near."""
    content_type = _header(scope, b"content-type").split(";", 1)[0].strip().lower()
    if content_type == "multipart/form-data":
        return settings.BIZWEEK_MAX_UPLOAD_BODY
    return settings.BIZWEEK_MAX_FORM_BODY


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _declared_length(scope: dict[str, Any]) -> int:
    try:
        return int(_header(scope, b"content-length") or 0)
    except ValueError:
        return 0


async def _refuse_too_large(send: Any, limit: int) -> None:
    body = (
        f"413 Request body too large: at most {limit // 2**20} MB for this kind of request.\n"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_in_pool(parts: Any, in_pool: Any) -> Any:
    while (part := await in_pool(next, parts, _END)) is not _END:
        yield part


def with_lifespan(
    app: Any,
    *,
    on_startup: Callable[[], object] | None = None,
    on_shutdown: Callable[[], object] | None = None,
) -> Any:
    """`app`, answering the ASGI lifespan protocol: `on_startup` runs when a server process
    starts, `on_shutdown` when it stops gracefully (SIGTERM, Ctrl+C), before it exits; both in
    a thread. `atexit` would not do for shutdown: uvicorn re-raises the signal after its own
    shutdown, and the default action of SIGTERM ends the process without exit handlers."""

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        while True:
            message = await receive()
            phase = message["type"].removeprefix("lifespan.")
            task = {"startup": on_startup, "shutdown": on_shutdown}.get(phase)
            if task is not None:
                try:
                    await loop.run_in_executor(None, _run_and_close, task)
                except Exception:
                    logger.exception("Lifespan %s task failed", phase)
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return

    return application


def _run_and_close(function: Callable[[], object]) -> None:
    from django.db import connections

    try:
        function()
    finally:
        connections.close_all()
