"""/ws/studio/<id>/: viewer presence, chat, product pins and moderation of one show.

Everything that more than one viewer sees goes through the channel layer group of the show,
so it reaches viewers on every server process (channels-redis). The protocol is documented in
docs/studio-protocol.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from . import services
from .models import BroadcastSession, Restriction

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 4096
# Events waiting for one viewer's socket: a viewer this far behind (a stalled connection) is
# closed and reconnects with `last_id`, catching up from the stored chat instead of holding
# everyone's memory.
OUTBOX_LIMIT = 1000
SLOW_VIEWER_CLOSE = 4008


def group_name(session_id: int) -> str:
    return f"studio.{session_id}"


def scope_language(scope: dict) -> str:
    """The user's language, else the language cookie: errors are sent in it."""
    user = scope.get("user")
    code = getattr(user, "language", "") if user is not None else ""
    if not code:
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    k, _sep, v = part.strip().partition("=")
                    if k == settings.LANGUAGE_COOKIE_NAME:
                        code = v
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class ShowRelay:
    """This process's one member of a show's channel layer group, fanning out to local viewers.

    With one group member per viewer, every chat message became a thousand channel-layer
    messages (a copy, a queue and a consumer wake-up each) and, with the in-memory layer, was
    silently dropped for any viewer more than 100 behind. Here each process receives an event
    once and hands it to each local viewer's outbox; a writer task per viewer sends in order, so
    one slow socket delays only itself. With channels-redis there is one group member per
    server process instead of one per viewer.
    """

    relays: dict[tuple[int, int], ShowRelay] = {}  # (id of the event loop, show)

    def __init__(self, channel_layer: Any, session_id: int) -> None:
        self.channel_layer = channel_layer
        self.session_id = session_id
        self.viewers: set[StudioConsumer] = set()
        self.joined = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run())

    @classmethod
    async def join(cls, consumer: StudioConsumer) -> ShowRelay:
        key = (id(asyncio.get_running_loop()), consumer.session_id)
        relay = cls.relays.get(key)
        if relay is None or relay.task.done():  # none yet, or its layer failed
            relay = cls.relays[key] = ShowRelay(consumer.channel_layer, consumer.session_id)
        relay.viewers.add(consumer)
        await relay.joined.wait()
        return relay

    def leave(self, consumer: StudioConsumer) -> None:
        self.viewers.discard(consumer)
        if not self.viewers:
            key = (id(asyncio.get_running_loop()), self.session_id)
            if self.relays.get(key) is self:
                del self.relays[key]
            self.task.cancel()

    async def _run(self) -> None:
        layer = self.channel_layer
        channel = await layer.new_channel("studio-relay.")
        group = group_name(self.session_id)
        await layer.group_add(group, channel)
        self.joined.set()
        try:
            while True:
                event = await layer.receive(channel)
                for viewer in list(self.viewers):
                    viewer.deliver(event)
        except asyncio.CancelledError:
            await asyncio.shield(layer.group_discard(group, channel))
            raise
        except Exception:  # the channel layer went away: the next viewer starts a new relay
            log.exception("studio %s relay", self.session_id)


class StudioConsumer(AsyncJsonWebsocketConsumer):
    session: BroadcastSession
    connection_id: int | None = None
    moderator: bool = False
    relay: ShowRelay | None = None
    writer: asyncio.Task | None = None

    # --- connection --------------------------------------------------------------------------

    async def connect(self) -> None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.user = self.scope.get("user")
        self.language = self._language()
        self.connection_id = None
        session = await database_sync_to_async(
            BroadcastSession.objects.filter(pk=self.session_id).first
        )()
        await self.accept()
        if session is None:
            await self.refuse("not_found", _("This show does not exist."), close=4404)
            return
        self.session = session
        restriction = await database_sync_to_async(services.restriction_of)(
            self.session_id, self.user
        )
        if restriction == Restriction.Kind.BAN:
            await self.refuse("banned", _("A moderator has banned you from this show."), close=4403)
            return
        self.moderator = await database_sync_to_async(self._has_perm)("studio.moderate_session")
        self.can_run = await database_sync_to_async(self._has_perm)("studio.run_session")
        # Events that arrive before the welcome is sent wait in the outbox, after it.
        self.outbox: asyncio.Queue[dict] = asyncio.Queue()
        self.relay = await ShowRelay.join(self)
        key = services.viewer_key(
            self.user, getattr(self.scope.get("session"), "session_key", None), self.channel_name
        )
        self.connection_id = await database_sync_to_async(services.connect_viewer)(
            self.session_id, self.user, key
        )
        welcome = await database_sync_to_async(self._welcome)(restriction)
        await self.send_json(welcome)
        self.writer = asyncio.get_running_loop().create_task(self._write())
        await self.schedule_presence()

    def deliver(self, event: dict) -> None:
        """From the relay: queue a group event for this viewer (never blocks the relay)."""
        if self.outbox.qsize() >= OUTBOX_LIMIT:
            if self.writer is not None and not self.writer.done():
                log.warning(
                    "studio %s: closing a viewer %s events behind", self.session_id, OUTBOX_LIMIT
                )
                self.writer.cancel()
                asyncio.get_running_loop().create_task(self.close(code=SLOW_VIEWER_CLOSE))
            return
        self.outbox.put_nowait(event)

    async def _write(self) -> None:
        """Send the group's events to this viewer in order, through the studio_* handlers."""
        while True:
            event = await self.outbox.get()
            handler = getattr(self, "studio_" + event["type"].removeprefix("studio."), None)
            if handler is None:
                continue
            try:
                await handler(event)
            except OSError:  # the viewer has gone (uvicorn's ClientDisconnected): stop writing
                return
            except Exception:  # one viewer's broken socket must not end its writer silently
                log.exception("studio %s: delivering %s", self.session_id, event["type"])

    def _has_perm(self, perm: str) -> bool:
        return bool(self.user is not None and self.user.has_perm(perm, self.session))

    def _language(self) -> str:
        return scope_language(self.scope)

    def _welcome(self, restriction: str | None) -> dict:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:
            last_id = int(query.get("last_id", ["0"])[0])
        except ValueError:
            last_id = 0
        session = BroadcastSession.objects.get(pk=self.session_id)
        authenticated = bool(self.user is not None and self.user.is_authenticated)
        return {
            "type": "welcome",
            "state": session.state,
            "viewers": services.viewer_count(self.session_id),
            "history": services.history(self.session_id, last_id or None),
            "pinned": services.current_card(session),
            "current_item": session.current_item_id,
            "announcement": session.announcement,
            "slow_mode": session.slow_mode_seconds,
            "you": {
                "id": self.user.pk if authenticated else None,
                "moderator": self.moderator,
                "can_chat": authenticated and not restriction,
                "muted": restriction == Restriction.Kind.MUTE,
            },
        }

    async def disconnect(self, code: int) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        if self.relay is not None:
            self.relay.leave(self)
            self.relay = None
        if self.connection_id is None:
            return
        await database_sync_to_async(services.disconnect_viewer)(self.connection_id)
        self.connection_id = None
        await self.schedule_presence()

    async def schedule_presence(self) -> None:
        """Tell everyone the viewer count, at most once per interval per show (all processes):
        a thousand viewers arriving at once must not cause a million presence messages."""
        added = await sync_to_async(cache.add)(
            f"studio:presence-due:{self.session_id}", 1, timeout=10
        )
        if added:
            asyncio.get_running_loop().create_task(
                _broadcast_presence(self.channel_layer, self.session_id)
            )

    async def refuse(self, code: str, message: str, close: int | None = None) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
        if close:
            await self.close(code=close)

    # --- from the client ---------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.language):
            if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
                await self.refuse("too_large", _("That message is too large."))
                return
            try:
                content = json.loads(text_data)
            except ValueError:
                content = None
            if not isinstance(content, dict) or not isinstance(content.get("type"), str):
                await self.refuse("bad_request", _("That message is not understood."))
                return
            await self.receive_json(content)

    async def receive_json(self, content: dict, **kwargs: Any) -> None:
        handler = self.HANDLERS.get(content["type"])
        if handler is None:
            await self.refuse("bad_request", _("That message is not understood."))
            return
        try:
            await handler(self, content)
        except services.Refused as refusal:
            await self.refuse(refusal.code, refusal.message)
        except PermissionDenied as error:
            await self.refuse("forbidden", str(error) or _("You may not do this."))
        except ValidationError as error:
            await self.refuse("invalid", " ".join(error.messages))

    async def _session(self) -> BroadcastSession:
        self.session = await database_sync_to_async(BroadcastSession.objects.get)(
            pk=self.session_id
        )
        return self.session

    async def on_chat(self, content: dict) -> None:
        # The show as of connect, kept current by the slow_mode broadcasts: one query less per
        # message; the sender's moderator status was settled on connect.
        message = await database_sync_to_async(services.post_chat)(
            self.session, self.user, content.get("text"), moderator=self.moderator
        )
        # Serialised once here, not once per viewer: a message goes to every viewer of the show.
        payload = json.dumps({"type": "chat", **services.message_payload(message)})
        await self.broadcast("studio.chat", text=payload)

    async def on_pin(self, content: dict) -> None:
        session = await self._session()
        _pin, card = await database_sync_to_async(services.pin)(
            session, content.get("product_id"), by=self.user
        )
        await self.broadcast("studio.pin", card=card, current_item=session.current_item_id)

    async def on_next(self, content: dict) -> None:
        session = await self._session()
        item, card = await database_sync_to_async(services.advance)(session, by=self.user)
        await self.broadcast("studio.pin", card=card, current_item=item.pk)

    async def on_hide(self, content: dict) -> None:
        session = await self._session()
        message_id = await database_sync_to_async(services.hide_message)(
            session, content.get("message_id"), by=self.user
        )
        await self.broadcast("studio.hidden", id=message_id)

    async def _restrict(self, content: dict, kind: str) -> None:
        session = await self._session()
        user_id = await database_sync_to_async(services.restrict)(
            session, content.get("user_id"), kind, by=self.user
        )
        await self.broadcast("studio.restricted", user_id=user_id, kind=kind)

    async def on_mute(self, content: dict) -> None:
        await self._restrict(content, Restriction.Kind.MUTE)

    async def on_ban(self, content: dict) -> None:
        await self._restrict(content, Restriction.Kind.BAN)

    async def on_unrestrict(self, content: dict) -> None:
        await self._restrict(content, "")

    async def on_slow_mode(self, content: dict) -> None:
        session = await self._session()
        seconds = await database_sync_to_async(services.set_slow_mode)(
            session, content.get("seconds"), by=self.user
        )
        await self.broadcast("studio.slow_mode", seconds=seconds)

    async def on_announce(self, content: dict) -> None:
        session = await self._session()
        text = await database_sync_to_async(services.set_announcement)(
            session, content.get("text"), by=self.user
        )
        await self.broadcast("studio.announcement", text=text)

    async def on_ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    HANDLERS = {
        "chat": on_chat,
        "pin": on_pin,
        "next": on_next,
        "hide": on_hide,
        "mute": on_mute,
        "ban": on_ban,
        "unrestrict": on_unrestrict,
        "slow_mode": on_slow_mode,
        "announce": on_announce,
        "ping": on_ping,
    }

    async def broadcast(self, event_type: str, **fields: Any) -> None:
        await self.channel_layer.group_send(
            group_name(self.session_id), {"type": event_type, **fields}
        )

    # --- from the group ----------------------------------------------------------------------

    async def studio_chat(self, event: dict) -> None:
        await self.send(text_data=event["text"])

    async def studio_hidden(self, event: dict) -> None:
        await self.send_json({"type": "hidden", "id": event["id"]})

    async def studio_pin(self, event: dict) -> None:
        await self.send_json(
            {"type": "pin", "card": event["card"], "current_item": event["current_item"]}
        )

    async def studio_presence(self, event: dict) -> None:
        await self.send_json({"type": "presence", "viewers": event["viewers"]})

    async def studio_slow_mode(self, event: dict) -> None:
        self.session.slow_mode_seconds = event["seconds"]
        await self.send_json({"type": "slow_mode", "seconds": event["seconds"]})

    async def studio_announcement(self, event: dict) -> None:
        await self.send_json({"type": "announcement", "text": event["text"]})

    async def studio_state(self, event: dict) -> None:
        await self.send_json({"type": "state", "state": event["state"]})

    async def studio_restricted(self, event: dict) -> None:
        mine = self.user is not None and self.user.is_authenticated
        if not (mine and self.user.pk == event["user_id"]):
            if self.moderator:
                await self.send_json(
                    {"type": "restricted", "user_id": event["user_id"], "kind": event["kind"]}
                )
            return
        await self.send_json({"type": "restricted", "user_id": self.user.pk, "kind": event["kind"]})
        if event["kind"] == Restriction.Kind.BAN:
            with translation.override(self.language):
                await self.refuse(
                    "banned", _("A moderator has banned you from this show."), close=4403
                )


async def _broadcast_presence(channel_layer: Any, session_id: int) -> None:
    await asyncio.sleep(settings.BIZWEEK_STUDIO_PRESENCE_SECONDS)
    await sync_to_async(cache.delete)(f"studio:presence-due:{session_id}")
    try:
        viewers = await database_sync_to_async(services.sample_viewers)(session_id)
    except Exception:  # the show was deleted meanwhile, the database went away
        log.exception("studio presence")
        return
    await channel_layer.group_send(
        group_name(session_id), {"type": "studio.presence", "viewers": viewers}
    )


async def broadcast_state(session_id: int, state: str) -> None:
    """Called by the console (HTTP) when a show goes live or ends."""
    from channels.layers import get_channel_layer

    await get_channel_layer().group_send(
        group_name(session_id), {"type": "studio.state", "state": state}
    )
