"""/ws/studio/<id>/ingest/: the host's camera or screen, sent from the console, into the show.

The console records with MediaRecorder (WebM) and sends each chunk as a binary WebSocket frame.
This consumer pipes the chunks into its own ffmpeg, which turns them into H.264/AAC FLV and
publishes to the show's RTMP listener (`ingest.py`) with the show's key, exactly as OBS would:
the listener then writes the HLS stream, the recording, the restreams and the health the
console shows. Nothing else in the studio knows whether a show comes from OBS or a browser.

Why this transport and not WebRTC into aiortc: see docs/decisions.md (measured by
bench/ingest_transports.py). The protocol is in docs/studio-protocol.md.

Back-pressure: a chunk is written to ffmpeg's stdin and drained before the next frame is read,
so at most one chunk plus the pipe's buffer waits here; while ffmpeg lags, the server stops
reading the socket and the browser's `bufferedAmount` grows (the console shows it). A drain
that takes longer than DRAIN_SECONDS ends the ingest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from . import ingest
from .consumers import scope_language
from .models import BroadcastSession, SessionState

log = logging.getLogger(__name__)

MAX_CHUNK_BYTES = 512 * 1024  # a 500 ms chunk at 2.5 Mbit/s is about 160 KB
LOCK_SECONDS = 15  # a server process that dies frees the show after this long
DRAIN_SECONDS = 10.0
LISTENER_WAIT_SECONDS = 10.0
# Every WebM file starts with an EBML header. Checked on the first chunk: ffmpeg's Matroska
# reader, fed garbage, can wait forever for the end of a made-up element rather than fail.
EBML_MAGIC = b"\x1a\x45\xdf\xa3"

# Close codes (also in docs/studio-protocol.md).
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_BUSY = 4409
CLOSE_NOT_LIVE = 4410
CLOSE_BAD_DATA = 4400
CLOSE_FAILED = 4500
CLOSE_RESTART = 4503  # the listener restarted (stepped down to one rendition): send again


def lock_key(session_id: int) -> str:
    return f"studio:browser-ingest:{session_id}"


def browser_ingest_active(session_id: int) -> bool:
    """Whether a browser is feeding the show now (any server process)."""
    return cache.get(lock_key(session_id)) is not None


def push_command(port: int, key: str) -> list[str]:
    """WebM from the browser on stdin, H.264/AAC FLV to the show's listener. The listener
    re-encodes to the show's ladder, so this encode only has to be cheap and good enough.
    MediaRecorder writes WebM (Matroska): naming the format skips probing, so the first frames
    pass at once and anything else is refused on the first bytes."""
    return [
        ingest.ffmpeg_exe(),
        *("-hide_banner", "-nostats", "-loglevel", "error"),
        *("-fflags", "+genpts", "-probesize", "32768", "-analyzeduration", "500000"),
        *("-f", "matroska", "-i", "pipe:0"),
        *("-map", "0:v:0", "-map", "0:a:0?"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"),
        *("-pix_fmt", "yuv420p", "-crf", "20", "-g", "50"),
        *("-c:a", "aac", "-b:a", "128k", "-ar", "44100"),
        *("-f", "flv", f"rtmp://127.0.0.1:{port}/live/{key}"),
    ]


class BrowserIngestConsumer(AsyncWebsocketConsumer):
    process: asyncio.subprocess.Process | None = None
    claimed: bool = False
    stopping: bool = False

    async def connect(self) -> None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.language = scope_language(self.scope)
        self.process, self.claimed, self.stopping = None, False, False
        self.received = 0
        self.head = b""
        self.token = uuid.uuid4().hex
        self.refreshed_at = 0.0
        await self.accept()
        with translation.override(self.language):
            await self._start()

    async def _start(self) -> None:
        session, allowed = await database_sync_to_async(self._session_and_permission)()
        if session is None:
            await self.refuse("not_found", _("This show does not exist."), CLOSE_NOT_FOUND)
            return
        if not allowed:
            await self.refuse(
                "forbidden",
                _("Only the show's host and the organizers can run this show."),
                CLOSE_FORBIDDEN,
            )
            return
        if session.state != SessionState.LIVE:
            await self.refuse(
                "not_live", _("Press “Go live” before sending video."), CLOSE_NOT_LIVE
            )
            return
        self.claimed = await sync_to_async(cache.add)(
            lock_key(self.session_id), self.token, LOCK_SECONDS
        )
        if not self.claimed:
            await self.refuse(
                "busy", _("Another browser is already sending video to this show."), CLOSE_BUSY
            )
            return
        health = await self._listener()
        if health is None:
            await self.refuse(
                "no_listener",
                _("The studio server is not ready to receive video. Try again in a moment."),
                CLOSE_FAILED,
            )
            return
        if health.get("state") == "receiving":
            await self.refuse(
                "encoder_active",
                _("An encoder (OBS) is already sending this show. Stop it first."),
                CLOSE_BUSY,
            )
            return
        self.process = await asyncio.create_subprocess_exec(
            *push_command(int(health["port"]), session.stream_key),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        asyncio.get_running_loop().create_task(self._watch(self.process))
        log.info("studio %s: browser ingest started", self.session_id)
        await self.send_json({"type": "ready", "max_chunk_bytes": MAX_CHUNK_BYTES})

    def _session_and_permission(self) -> tuple[BroadcastSession | None, bool]:
        session = BroadcastSession.objects.filter(pk=self.session_id).first()
        user = self.scope.get("user")
        allowed = bool(
            session is not None
            and user is not None
            and user.is_authenticated
            and user.has_perm("studio.run_session", session)
        )
        return session, allowed

    async def _listener(self) -> dict | None:
        """The show's listener, once the supervisor has started it (it may be going live)."""
        deadline = time.monotonic() + LISTENER_WAIT_SECONDS
        while True:
            health = await sync_to_async(ingest.read_health)(self.session_id)
            if health.get("port") and health.get("state") in {"waiting", "receiving"}:
                return health
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.25)

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        """Tell the console when ffmpeg ends on its own (garbage in, listener gone, crash)."""
        stderr = await process.stderr.read() if process.stderr else b""
        code = await process.wait()
        if self.stopping:
            return
        detail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        log.warning("studio %s: browser ingest ffmpeg exited %s: %s", self.session_id, code, detail)
        states = BroadcastSession.objects.filter(pk=self.session_id).values_list("state", flat=True)
        state = await database_sync_to_async(states.first)()
        with translation.override(self.language):
            if state != SessionState.LIVE:
                # Someone ended the show: its listener stopped, so ffmpeg lost its destination.
                await self.refuse("ended", _("The show has ended."), CLOSE_NOT_LIVE)
                return
            health = await sync_to_async(ingest.read_health)(self.session_id)
            if ingest.just_stepped_down(health):
                # The server fell behind and restarted the listener with one rendition: the
                # console opens a new connection with the same camera (a new WebM header).
                await self.refuse(
                    "restart",
                    _("The server switched to one picture size to keep up. Sending again…"),
                    CLOSE_RESTART,
                )
                return
            await self.refuse(
                "encoder_failed",
                _("The server could not use the video from this browser. Start again."),
                CLOSE_FAILED,
                detail=detail[0][:300],
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.language):
            if bytes_data is None:
                await self.send_json(
                    {
                        "type": "error",
                        "code": "binary_only",
                        "message": _("Only video data may be sent on this connection."),
                    }
                )
                return
            if self.process is None or self.process.stdin is None or self.stopping:
                return
            if len(bytes_data) > MAX_CHUNK_BYTES:
                await self.refuse(
                    "too_large", _("A piece of video was too large. Start again."), CLOSE_BAD_DATA
                )
                return
            if self.received < len(EBML_MAGIC):
                # Chromium may send the header's first byte alone: compare what has come so far.
                self.head = (self.head + bytes_data)[: len(EBML_MAGIC)]
                if not EBML_MAGIC.startswith(self.head):
                    await self.refuse(
                        "not_webm",
                        _("This is not video from the console (WebM expected). Start again."),
                        CLOSE_BAD_DATA,
                    )
                    return
            self.received += len(bytes_data)
            try:
                self.process.stdin.write(bytes_data)
                await asyncio.wait_for(self.process.stdin.drain(), DRAIN_SECONDS)
            except (BrokenPipeError, ConnectionResetError):
                return  # ffmpeg has exited; _watch tells the console
            except TimeoutError:
                await self.refuse(
                    "too_slow",
                    _("The server cannot keep up with this video. Start again."),
                    CLOSE_FAILED,
                )
                return
            await self._refresh_lock()

    async def _refresh_lock(self) -> None:
        now = time.monotonic()
        if now - self.refreshed_at > LOCK_SECONDS / 3:
            self.refreshed_at = now
            await sync_to_async(cache.set)(lock_key(self.session_id), self.token, LOCK_SECONDS)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content))

    async def refuse(self, code: str, message: str, close: int, **extra: str) -> None:
        await self._stop()  # the show is free before the console hears of it
        await self.send_json({"type": "error", "code": code, "message": message, **extra})
        await self.close(code=close)

    async def disconnect(self, code: int) -> None:
        await self._stop()

    async def _stop(self) -> None:
        """End of input for ffmpeg (it flushes and hangs up on the listener), then free the
        show for the next ingest."""
        self.stopping = True
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if process.stdin is not None:
                    process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            log.info("studio %s: browser ingest stopped", self.session_id)
        if self.claimed:
            self.claimed = False
            key = lock_key(self.session_id)
            if await sync_to_async(cache.get)(key) == self.token:
                await sync_to_async(cache.delete)(key)
