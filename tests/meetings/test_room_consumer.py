"""The room's WebSocket: who may connect, targeted signaling, and bad messages refused
without breaking the room for the others."""

import asyncio
import json
from datetime import timedelta

import pytest
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.meetings.models import Attendance, ChatMessage
from bizweek.routing import websocket_urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

APP = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    channel_layers.backends = {}  # each test runs its own event loop
    yield
    channel_layers.backends = {}


@pytest.fixture
def interpreter(db):
    return factories.make_user(role=Role.INTERPRETER, languages="ko-zh")


@pytest.fixture
def meeting(event, seller, buyer_company, interpreter):
    return factories.make_meeting(
        event, seller, buyer_company, interpreter=interpreter, languages="ko-zh"
    )


async def join(meeting, user):
    communicator = WebsocketCommunicator(APP, f"/ws/meetings/{meeting.pk}/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


async def receive_type(communicator, kind: str, timeout: float = 3):
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


def run(scenario):
    asyncio.run(scenario())


def test_connect_by_participant_gets_welcome_with_peers(meeting, exhibitor, buyer):
    async def scenario():
        seller_ws, connected, _ = await join(meeting, exhibitor)
        assert connected
        welcome = await seller_ws.receive_json_from()
        assert welcome["type"] == "welcome"
        assert welcome["you"]["role"] == "seller"
        assert welcome["peers"] == []
        buyer_ws, _, _ = await join(meeting, buyer)
        welcome = await buyer_ws.receive_json_from()
        assert [peer["role"] for peer in welcome["peers"]] == ["seller"]
        joined = await receive_type(seller_ws, "peer-joined")
        assert joined["peer"]["role"] == "buyer"
        await buyer_ws.disconnect()
        left = await receive_type(seller_ws, "peer-left")
        assert left["id"] == welcome["you"]["id"]
        await seller_ws.disconnect()

    run(scenario)
    assert Attendance.objects.filter(left_at__isnull=True).count() == 0
    assert Attendance.objects.count() == 2


def test_connect_by_other_company_is_refused(meeting):
    outsider = factories.make_member(factories.make_company())

    async def scenario():
        _, connected, code = await join(meeting, outsider)
        assert not connected
        assert code == 4403

    run(scenario)
    assert not Attendance.objects.exists()


def test_connect_anonymous_or_forged_meeting_is_refused(meeting, exhibitor):
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        _, connected, _ = await join(meeting, AnonymousUser())
        assert not connected
        communicator = WebsocketCommunicator(APP, "/ws/meetings/999999/")
        communicator.scope["user"] = exhibitor
        connected, _ = await communicator.connect()
        assert not connected

    run(scenario)


def test_connect_before_room_opens_or_after_cancel_is_refused(event, seller, buyer_company):
    member = factories.make_member(seller)
    later = factories.make_meeting(
        event, seller, buyer_company, starts_at=timezone.now() + timedelta(hours=2)
    )
    cancelled = factories.make_meeting(event, seller, buyer_company, state="cancelled")

    async def scenario():
        for meeting in (later, cancelled):
            _, connected, _ = await join(meeting, member)
            assert not connected

    run(scenario)


def test_organizer_joins_as_observer(meeting, organizer):
    async def scenario():
        ws, connected, _ = await join(meeting, organizer)
        assert connected
        assert (await ws.receive_json_from())["you"]["role"] == "observer"
        await ws.disconnect()

    run(scenario)


def test_signal_reaches_only_the_addressed_peer(meeting, exhibitor, buyer, interpreter):
    async def scenario():
        seller_ws, _, _ = await join(meeting, exhibitor)
        seller_id = (await seller_ws.receive_json_from())["you"]["id"]
        buyer_ws, _, _ = await join(meeting, buyer)
        buyer_id = (await buyer_ws.receive_json_from())["you"]["id"]
        interp_ws, _, _ = await join(meeting, interpreter)
        welcome = await interp_ws.receive_json_from()
        assert welcome["you"]["languages"] == "ko-zh"
        offer = {"type": "offer", "sdp": "v=0\r\n"}
        await seller_ws.send_json_to({"type": "signal", "to": buyer_id, "description": offer})
        got = await receive_type(buyer_ws, "signal")
        assert got == {"type": "signal", "from": seller_id, "description": offer}
        # Neither the sender nor the interpreter receives it.
        assert await interp_ws.receive_nothing(timeout=0.3)
        while not await seller_ws.receive_nothing(timeout=0.2):
            assert (await seller_ws.receive_json_from())["type"] != "signal"
        for ws in (seller_ws, buyer_ws, interp_ws):
            await ws.disconnect()

    run(scenario)


def test_misaddressed_malformed_and_oversized_messages_are_refused(meeting, exhibitor, buyer):
    other = factories.make_meeting(
        meeting.event,
        factories.make_company(),
        factories.make_company(role="buyer"),
    )

    async def scenario():
        seller_ws, _, _ = await join(meeting, exhibitor)
        seller_id = (await seller_ws.receive_json_from())["you"]["id"]
        buyer_ws, _, _ = await join(meeting, buyer)
        buyer_id = (await buyer_ws.receive_json_from())["you"]["id"]
        await receive_type(seller_ws, "peer-joined")
        outsider = await asyncio.to_thread(lambda: factories.make_member(other.seller))
        outsider_ws, connected, _ = await join(other, outsider)
        assert connected
        outsider_id = (await outsider_ws.receive_json_from())["you"]["id"]
        bad = [
            "not json",
            json.dumps({"type": "signal", "to": buyer_id}),  # neither description nor candidate
            json.dumps({"type": "signal", "to": buyer_id, "description": {"type": "x"}}),
            json.dumps({"type": "nope"}),
            json.dumps({"type": "chat", "text": "hi", "extra": 1}),
            json.dumps([1, 2]),
        ]
        for text in bad:
            await seller_ws.send_to(text_data=text)
            error = await receive_type(seller_ws, "error")
            assert error["code"] == "invalid", text
        huge = {"type": "chat", "text": "x" * 70_000}
        await seller_ws.send_json_to(huge)
        assert (await receive_type(seller_ws, "error"))["code"] == "too_large"
        for to in (outsider_id, seller_id, 987654):  # another room's peer, oneself, nobody
            await seller_ws.send_json_to(
                {"type": "signal", "to": to, "candidate": {"candidate": "candidate:1 1 udp"}}
            )
            assert (await receive_type(seller_ws, "error"))["code"] == "bad_peer"
        assert await outsider_ws.receive_nothing(timeout=0.3)
        # The room still works.
        await seller_ws.send_json_to(
            {"type": "signal", "to": buyer_id, "candidate": {"candidate": "candidate:1 1 udp"}}
        )
        got = await receive_type(buyer_ws, "signal")
        assert got["candidate"]["candidate"] == "candidate:1 1 udp"
        for ws in (seller_ws, buyer_ws, outsider_ws):
            await ws.disconnect()

    run(scenario)


def test_flooding_is_rate_limited_and_room_keeps_working(meeting, exhibitor, buyer):
    async def scenario():
        seller_ws, _, _ = await join(meeting, exhibitor)
        await seller_ws.receive_json_from()
        buyer_ws, _, _ = await join(meeting, buyer)
        await buyer_ws.receive_json_from()
        for number in range(12):
            await seller_ws.send_json_to({"type": "chat", "text": f"spam {number}"})
        codes = []
        while not await seller_ws.receive_nothing(timeout=0.3):
            message = await seller_ws.receive_json_from()
            if message["type"] == "error":
                codes.append(message["code"])
        assert "rate_limited" in codes
        # The buyer can still chat.
        await buyer_ws.send_json_to({"type": "chat", "text": "<b>hello</b>"})
        got = await receive_type(seller_ws, "chat")
        assert got["text"] == "<b>hello</b>"  # kept as typed; the page shows it as text
        for ws in (seller_ws, buyer_ws):
            await ws.disconnect()

    run(scenario)
    assert ChatMessage.objects.filter(text__startswith="spam").count() < 12
    assert ChatMessage.objects.filter(text="<b>hello</b>").exists()


def test_error_message_is_in_the_users_language(meeting, buyer):
    buyer.language = "ko"
    buyer.save()

    async def scenario():
        ws, _, _ = await join(meeting, buyer)
        await ws.receive_json_from()
        await ws.send_to(text_data="{")
        error = await receive_type(ws, "error")
        assert error["message"] != "The message is not valid."
        assert any("\uac00" <= char <= "\ud7a3" for char in error["message"])  # Hangul
        await ws.send_json_to({"type": "chat", "text": "   "})  # refused by the service
        error = await receive_type(ws, "error")
        assert any("\uac00" <= char <= "\ud7a3" for char in error["message"]), error
        await ws.disconnect()

    run(scenario)


def test_control_tower_gets_live_status_and_refuses_others(meeting, exhibitor, organizer):
    async def scenario():
        tower = WebsocketCommunicator(APP, "/ws/meetings/tower/")
        tower.scope["user"] = organizer
        assert (await tower.connect())[0]
        outsider = WebsocketCommunicator(APP, "/ws/meetings/tower/")
        outsider.scope["user"] = exhibitor
        assert not (await outsider.connect())[0]
        ws, _, _ = await join(meeting, exhibitor)
        status = await tower.receive_json_from(timeout=3)
        assert status == {"type": "status", "meeting": meeting.pk, "status": "one_side"}
        await ws.disconnect()
        assert (await tower.receive_json_from(timeout=3))["status"] == "waiting"
        await tower.disconnect()

    run(scenario)


def test_signals_are_relayed_while_the_database_thread_is_busy(meeting, exhibitor, buyer):
    """At a slot's start hundreds of connects queue database work on the one sync thread;
    offers and candidates between people already in a room must not wait behind it."""
    import time

    from asgiref.sync import sync_to_async

    async def scenario():
        seller_ws, _, _ = await join(meeting, exhibitor)
        await seller_ws.receive_json_from()
        buyer_ws, _, _ = await join(meeting, buyer)
        buyer_id = (await buyer_ws.receive_json_from())["you"]["id"]
        await receive_type(seller_ws, "peer-joined")
        busy = asyncio.create_task(sync_to_async(time.sleep)(2))  # the database thread
        await asyncio.sleep(0.05)
        started = time.monotonic()
        candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
        await seller_ws.send_json_to({"type": "signal", "to": buyer_id, "candidate": candidate})
        got = await receive_type(buyer_ws, "signal", timeout=1)
        assert got["candidate"] == candidate
        assert time.monotonic() - started < 1  # not after the 2 s the thread is busy
        await busy
        for ws in (seller_ws, buyer_ws):
            await ws.disconnect()

    run(scenario)


def test_control_tower_gets_a_whole_slot_start_of_statuses(organizer):
    """200 rooms joining at once send the tower 400 statuses before it reads one: none lost."""
    from bizweek.meetings import services

    async def scenario():
        tower = WebsocketCommunicator(APP, "/ws/meetings/tower/")
        tower.scope["user"] = organizer
        assert (await tower.connect())[0]
        layer = channel_layers["default"]
        for number in range(400):
            await layer.group_send(
                services.TOWER_GROUP,
                {"type": "tower.status", "meeting": number, "status": "one_side"},
            )
        seen = [(await tower.receive_json_from(timeout=3))["meeting"] for _ in range(400)]
        assert seen == list(range(400))
        await tower.disconnect()

    run(scenario)


def test_signal_reaches_a_peer_connected_to_another_process(meeting, exhibitor, buyer):
    """Peers in this process get signals handed over directly; a peer in another server
    process (not in this process's registry) is reached through the channel layer."""
    from bizweek.meetings import consumers

    async def scenario():
        seller_ws, _, _ = await join(meeting, exhibitor)
        seller_id = (await seller_ws.receive_json_from())["you"]["id"]
        buyer_ws, _, _ = await join(meeting, buyer)
        buyer_id = (await buyer_ws.receive_json_from())["you"]["id"]
        await receive_type(seller_ws, "peer-joined")
        layer = channel_layers["default"]
        sent = []
        original = layer.send

        async def counted(channel, message):
            sent.append(message["type"])
            await original(channel, message)

        layer.send = counted
        offer = {"type": "offer", "sdp": "v=0\r\n"}
        await seller_ws.send_json_to({"type": "signal", "to": buyer_id, "description": offer})
        assert (await receive_type(buyer_ws, "signal"))["description"] == offer
        assert sent == []  # same process: handed over directly
        [buyer_channel] = [name for name, c in consumers.LOCAL.items() if c.peer_id == buyer_id]
        del consumers.LOCAL[buyer_channel]  # as if the buyer were served by another process
        answer = {"type": "answer", "sdp": "v=0\r\n"}
        await seller_ws.send_json_to({"type": "signal", "to": buyer_id, "description": answer})
        got = await receive_type(buyer_ws, "signal")
        assert got == {"type": "signal", "from": seller_id, "description": answer}
        assert sent == ["signal.relay"]
        for ws in (seller_ws, buyer_ws):
            await ws.disconnect()

    run(scenario)
