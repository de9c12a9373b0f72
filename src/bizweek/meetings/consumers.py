"""The meeting room's WebSocket: who is in the room, WebRTC signaling addressed to one peer,
chat, media state and the "+5 minutes" request. The protocol is in docs/meetings-protocol.md.

Presence lives in the database (one open Attendance per connection, its id is the peer id),
and everything else goes through the channel layer, so peers may sit in different server
processes."""

from __future__ import annotations

import json
import logging
import weakref

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as SchemaError

from . import ice, services
from .models import Meeting
from .signaling import MAX_MESSAGE_BYTES, TokenBucket, client_message

logger = logging.getLogger(__name__)

REFUSED = 4403


def group_name(meeting_id: int) -> str:
    return f"meeting.{meeting_id}"


# The room consumers of this process by channel name. A signal for a peer connected to the
# same process is handed to it directly; only a peer in another process is reached through the
# channel layer. Offers and ICE candidates are most of a room's traffic, and each trip through
# the layer costs a copy, a queue and a dispatch task: at a slot's start, hundreds of them.
LOCAL: weakref.WeakValueDictionary[str, MeetingRoomConsumer] = weakref.WeakValueDictionary()


class MeetingRoomConsumer(AsyncWebsocketConsumer):
    meeting: Meeting
    peer_id: int | None = None
    channels: dict[int, str]  # peer id -> channel name of the others in the room

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.language = getattr(self.user, "language", "") or settings.LANGUAGE_CODE
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.peer_id = None
        self.signals = TokenBucket(rate=50, burst=200)  # ICE candidates come in bursts
        self.chats = TokenBucket(rate=0.5, burst=5)
        self.others = TokenBucket(rate=2, burst=10)
        admitted = await self._admit()
        if admitted is None:
            await self.close(code=REFUSED)  # before accept: the handshake is refused (403)
            return
        self.role, welcome, status = admitted
        await self.channel_layer.group_add(group_name(self.meeting_id), self.channel_name)
        await self.accept()
        LOCAL[self.channel_name] = self
        await self.send_json(welcome)
        await self.channel_layer.group_send(
            group_name(self.meeting_id),
            {"type": "peer.joined", "peer": welcome["you"], "channel": self.channel_name},
        )
        await self._tell_tower(status)

    async def _tell_tower(self, status: str) -> None:
        """Organizers' control tower shows each room's status live."""
        await self.channel_layer.group_send(
            services.TOWER_GROUP,
            {"type": "tower.status", "meeting": self.meeting_id, "status": status},
        )

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch hops to the sync thread before every handler (to close stale
        database connections), so each relayed signal, ping or join notice would queue behind
        every database call of the process: at a slot's start that is hundreds of hops a
        second. Every database call here goes through database_sync_to_async, which closes
        stale connections itself, so messages are handled without leaving the event loop."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @database_sync_to_async
    def _admit(self) -> tuple[str, dict, str] | None:
        """Everything a connect needs from the database in one trip to the sync thread:
        the meeting with its event rules and outcome, the attendance row, who else is
        present, chat and files, and the control tower's status."""
        meeting = (
            Meeting.objects.select_related(
                "event__meeting_policy", "outcome", "seller", "buyer", "interpreter"
            )
            .filter(pk=self.meeting_id)
            .first()
        )
        if meeting is None or self.user is None:
            return None
        role = services.room_role(self.user, meeting)
        if role is None or services.room_state(meeting) != "open":
            return None
        self.meeting = meeting
        attendance = services.record_join(meeting, self.user, channel_name=self.channel_name)
        self.peer_id = attendance.pk
        present = services.present_attendances(meeting)
        self.channels = {a.pk: a.channel_name for a in present if a.pk != self.peer_id}
        closes = services.room_closes_at(meeting)
        you = services.peer_info(attendance)
        status = services.meeting_status(meeting, roles={a.role for a in present})
        return (
            role,
            {
                "type": "welcome",
                "you": you,
                "peers": [services.peer_info(a) for a in present if a.pk != self.peer_id],
                "closes_at": closes.isoformat(),
                "can_extend": meeting.extended_minutes == 0
                and not services.next_slot_busy(meeting),
                "ice_servers": ice.ice_servers(self.user.pk, closes),
                "ice_transport_policy": ice.transport_policy(),
                "chat": services.chat_history(meeting),
                "files": [
                    services.file_payload(f) for f in meeting.files.select_related("uploaded_by")
                ],
            },
            status,
        )

    async def disconnect(self, code: int) -> None:
        LOCAL.pop(self.channel_name, None)
        if self.peer_id is None:
            return
        status = await database_sync_to_async(self._leave)(self.peer_id)
        await self.channel_layer.group_discard(group_name(self.meeting_id), self.channel_name)
        await self.channel_layer.group_send(
            group_name(self.meeting_id), {"type": "peer.left", "id": self.peer_id}
        )
        self.peer_id = None
        await self._tell_tower(status)

    def _leave(self, peer_id: int) -> str:
        """Close the attendance and read the room's new status in one trip to the database."""
        services.record_leave(peer_id)
        return services.meeting_status(
            Meeting.objects.select_related("event__meeting_policy", "outcome").get(
                pk=self.meeting_id
            )
        )

    # --- from the browser ------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Messages are checked and relayed without switching language (most are signals);
        refusals are put in the user's language when sent (`error`), and the handlers that
        call the database switch around that call."""
        if text_data is None or len(text_data.encode()) > MAX_MESSAGE_BYTES:
            await self.error("too_large", _("The message is too large."))
            return
        try:
            message = client_message.validate_json(text_data)
        except (ValueError, SchemaError):
            await self.error("invalid", _("The message is not valid."))
            return
        handler = getattr(self, f"on_{message.type}")
        await handler(message)

    async def on_signal(self, message) -> None:  # noqa: ANN001
        if not self.signals.take():
            await self.error("rate_limited", _("Too many messages; slow down."))
            return
        if message.to == self.peer_id:
            await self.error("bad_peer", _("That participant is not in this room."))
            return
        channel = self.channels.get(message.to)
        if channel is None:  # joined a moment ago, or not in this room at all: ask the database
            channel = await database_sync_to_async(services.peer_channel)(
                self.meeting_id, message.to
            )
        if channel is None:
            await self.error("bad_peer", _("That participant is not in this room."))
            return
        payload = message.model_dump(exclude={"type", "to"}, exclude_none=True)
        relay = {"type": "signal.relay", "from": self.peer_id, "to": message.to, **payload}
        peer = LOCAL.get(channel)
        if peer is not None:
            await peer.signal_relay(relay)
        else:
            await self.channel_layer.send(channel, relay)

    async def on_chat(self, message) -> None:  # noqa: ANN001
        if not self.chats.take():
            await self.error("rate_limited", _("You are sending messages too fast; wait a moment."))
            return
        with translation.override(self.language):  # the service's refusals, in the thread
            try:
                payload = await database_sync_to_async(self._post_chat)(message.text)
            except ValidationError as error:
                await self.error("invalid", " ".join(error.messages))
                return
        await self.channel_layer.group_send(
            group_name(self.meeting_id), {"type": "chat.message", "message": payload}
        )

    def _post_chat(self, text: str) -> dict:
        chat = services.post_chat(self.meeting, author=self.user, text=text)
        return services.chat_payload(chat)

    async def on_media(self, message) -> None:  # noqa: ANN001
        if not self.others.take():
            await self.error("rate_limited", _("Too many messages; slow down."))
            return
        await self.channel_layer.group_send(
            group_name(self.meeting_id),
            {"type": "media.state", "id": self.peer_id, **message.model_dump(exclude={"type"})},
        )

    async def on_extend(self, message) -> None:  # noqa: ANN001
        if not self.others.take():
            await self.error("rate_limited", _("Too many messages; slow down."))
            return
        with translation.override(self.language):
            try:
                closes = await database_sync_to_async(self._extend)()
            except (PermissionDenied, ValidationError) as error:
                messages = error.messages if isinstance(error, ValidationError) else [str(error)]
                await self.error("refused", " ".join(messages))
                return
        await self.channel_layer.group_send(
            group_name(self.meeting_id), {"type": "room.extended", "closes_at": closes}
        )

    def _extend(self) -> str:
        meeting = Meeting.objects.select_related("event").get(pk=self.meeting_id)
        services.extend(meeting, by=self.user)
        return services.room_closes_at(meeting).isoformat()

    async def on_ping(self, message) -> None:  # noqa: ANN001
        if self.others.take():
            await self.send_json({"type": "pong", "at": timezone.now().isoformat()})

    # --- from the channel layer ------------------------------------------------------------

    async def peer_joined(self, event: dict) -> None:
        if event["peer"]["id"] != self.peer_id:
            self.channels[event["peer"]["id"]] = event["channel"]
            await self.send_json({"type": "peer-joined", "peer": event["peer"]})

    async def peer_left(self, event: dict) -> None:
        self.channels.pop(event["id"], None)
        if event["id"] != self.peer_id:
            await self.send_json({"type": "peer-left", "id": event["id"]})

    async def signal_relay(self, event: dict) -> None:
        if event.get("to") != self.peer_id:  # a stale channel reused by nobody else: drop
            return
        message = {"type": "signal", "from": event["from"]}
        for key in ("description", "candidate"):
            if key in event:
                message[key] = event[key]
        await self.send_json(message)

    async def chat_message(self, event: dict) -> None:
        await self.send_json({"type": "chat", **event["message"]})

    async def media_state(self, event: dict) -> None:
        if event["id"] != self.peer_id:
            await self.send_json(
                {"type": "media", **{k: v for k, v in event.items() if k != "type"}}
            )

    async def file_shared(self, event: dict) -> None:
        await self.send_json({"type": "file", **event["file"]})

    async def room_extended(self, event: dict) -> None:
        await self.send_json({"type": "extended", "closes_at": event["closes_at"]})

    # --- helpers ---------------------------------------------------------------------------

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def error(self, code: str, message: str) -> None:
        with translation.override(self.language):
            text = str(message)  # lazy strings are translated here
        await self.send_json({"type": "error", "code": code, "message": text})


class ControlTowerConsumer(AsyncWebsocketConsumer):
    """Organizers only: `status` messages for every room whose presence changes."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_organizer):
            await self.close(code=REFUSED)
            return
        await self.channel_layer.group_add(services.TOWER_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(services.TOWER_GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The tower only listens."""

    async def tower_status(self, event: dict) -> None:
        await self.send(
            text_data=json.dumps(
                {"type": "status", "meeting": event["meeting"], "status": event["status"]}
            )
        )
