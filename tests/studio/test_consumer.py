"""The studio WebSocket: chat, moderation, slow mode, rate limit, reconnects, pins, permissions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from bizweek.studio.models import ChatMessage, Restriction
from tests import factories

from .conftest import as_user, joined, next_of

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine_function):
    """Run a scenario on an event loop of its own thread: the browser tests' Playwright keeps
    a loop in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(coroutine_function)).result()


def test_chat_reaches_every_viewer_with_company_and_country(show, buyer_member):
    async def scenario():
        anonymous = await joined(show)
        buyer = await joined(show, buyer_member)
        await buyer.send_json_to({"type": "chat", "text": "  <b>Price for 100 units?</b> "})
        for client in (buyer, anonymous):
            message = await next_of(client, "chat")
            assert message["text"] == "<b>Price for 100 units?</b>"  # kept as typed; shown as text
            assert message["name"] == "Somchai"
            assert message["company"] == "Bangkok Trading"
            assert message["country"] == "TH"
        await anonymous.disconnect()
        await buyer.disconnect()

    run(scenario)
    assert ChatMessage.objects.get().text == "<b>Price for 100 units?</b>"


def test_chat_refused_for_anonymous_viewer(show):
    async def scenario():
        anonymous = await joined(show)
        assert anonymous.welcome["you"]["can_chat"] is False
        await anonymous.send_json_to({"type": "chat", "text": "hello"})
        error = await next_of(anonymous, "error")
        assert error["code"] == "sign_in"
        await anonymous.disconnect()

    run(scenario)
    assert not ChatMessage.objects.exists()


def test_bad_frames_refused_without_breaking_the_session(show, buyer_member):
    async def scenario():
        buyer = await joined(show, buyer_member)
        await buyer.send_to(text_data="not json")
        assert (await next_of(buyer, "error"))["code"] == "bad_request"
        await buyer.send_to(text_data='{"type": "chat", "text": "' + "x" * 5000 + '"}')
        assert (await next_of(buyer, "error"))["code"] == "too_large"
        await buyer.send_json_to({"type": "chat", "text": "y" * 501})
        assert (await next_of(buyer, "error"))["code"] == "too_long"
        await buyer.send_json_to({"type": "launch_rockets"})
        assert (await next_of(buyer, "error"))["code"] == "bad_request"
        await buyer.send_json_to({"type": "chat", "text": ["not", "text"]})
        assert (await next_of(buyer, "error"))["code"] == "bad_request"
        await buyer.send_json_to({"type": "chat", "text": "still here"})
        assert (await next_of(buyer, "chat"))["text"] == "still here"
        await buyer.disconnect()

    run(scenario)


def test_rate_limit_three_messages_per_two_seconds_except_moderators(show, buyer_member, host):
    async def scenario():
        buyer = await joined(show, buyer_member)
        moderator = await joined(show, host)
        for number in range(3):
            await buyer.send_json_to({"type": "chat", "text": f"m{number}"})
            assert (await next_of(buyer, "chat"))["text"] == f"m{number}"
        await buyer.send_json_to({"type": "chat", "text": "m3"})
        assert (await next_of(buyer, "error"))["code"] == "rate_limited"
        for number in range(3):
            assert (await next_of(moderator, "chat"))["text"] == f"m{number}"
        for number in range(5):
            await moderator.send_json_to({"type": "chat", "text": f"h{number}"})
            assert (await next_of(moderator, "chat"))["text"] == f"h{number}"
        await buyer.disconnect()
        await moderator.disconnect()

    run(scenario)
    assert ChatMessage.objects.filter(user=buyer_member).count() == 3


def test_slow_mode_limits_viewers_not_the_host(show, buyer_member, host):
    async def scenario():
        buyer = await joined(show, buyer_member)
        moderator = await joined(show, host)
        await moderator.send_json_to({"type": "slow_mode", "seconds": 30})
        assert (await next_of(buyer, "slow_mode"))["seconds"] == 30
        await buyer.send_json_to({"type": "chat", "text": "first"})
        assert (await next_of(buyer, "chat"))["text"] == "first"
        await buyer.send_json_to({"type": "chat", "text": "second"})
        error = await next_of(buyer, "error")
        assert error["code"] == "slow_mode"
        assert "30" in error["message"]
        await moderator.send_json_to({"type": "chat", "text": "host 1"})
        await moderator.send_json_to({"type": "chat", "text": "host 2"})
        assert (await next_of(buyer, "chat"))["text"] == "host 1"
        assert (await next_of(buyer, "chat"))["text"] == "host 2"
        await moderator.send_json_to({"type": "slow_mode", "seconds": 100000})
        assert (await next_of(moderator, "error"))["code"] == "bad_request"
        await buyer.disconnect()
        await moderator.disconnect()

    run(scenario)


def test_hidden_message_disappears_for_everyone_and_from_history(show, buyer_member, host):
    async def scenario():
        buyer = await joined(show, buyer_member)
        moderator = await joined(show, host)
        await buyer.send_json_to({"type": "chat", "text": "spam spam"})
        message = await next_of(moderator, "chat")
        await moderator.send_json_to({"type": "hide", "message_id": message["id"]})
        assert (await next_of(buyer, "hidden"))["id"] == message["id"]
        late = await joined(show)
        assert late.welcome["history"] == []
        for client in (buyer, moderator, late):
            await client.disconnect()

    run(scenario)


def test_mute_stops_chat_and_ban_closes_and_refuses_reconnect(show, buyer_member, host):
    async def scenario():
        buyer = await joined(show, buyer_member)
        moderator = await joined(show, host)
        await moderator.send_json_to({"type": "mute", "user_id": buyer_member.pk})
        assert (await next_of(buyer, "restricted"))["kind"] == "mute"
        await buyer.send_json_to({"type": "chat", "text": "let me talk"})
        assert (await next_of(buyer, "error"))["code"] == "muted"
        await moderator.send_json_to({"type": "ban", "user_id": buyer_member.pk})
        assert (await next_of(buyer, "error"))["code"] == "banned"
        assert (await buyer.receive_output(timeout=5))["type"] == "websocket.close"
        again = WebsocketCommunicator(as_user(buyer_member), f"/ws/studio/{show.pk}/")
        await again.connect()
        assert (await next_of(again, "error"))["code"] == "banned"
        await moderator.send_json_to({"type": "ban", "user_id": host.pk})
        assert (await next_of(moderator, "error"))["code"] == "forbidden"
        await moderator.disconnect()

    run(scenario)
    assert Restriction.objects.get(user=buyer_member).kind == "ban"


def test_reconnect_gets_what_was_said_meanwhile_and_nothing_twice(show, buyer_member, host):
    async def scenario():
        viewer = await joined(show)
        moderator = await joined(show, host)
        await moderator.send_json_to({"type": "chat", "text": "before"})
        seen = await next_of(viewer, "chat")
        await viewer.disconnect()
        await moderator.send_json_to({"type": "chat", "text": "meanwhile 1"})
        await moderator.send_json_to({"type": "chat", "text": "meanwhile 2"})
        await next_of(moderator, "chat")
        await next_of(moderator, "chat")
        back = await joined(show, last_id=seen["id"])
        assert [m["text"] for m in back.welcome["history"]] == ["meanwhile 1", "meanwhile 2"]
        fresh = await joined(show)
        assert [m["text"] for m in fresh.welcome["history"]] == [
            "before",
            "meanwhile 1",
            "meanwhile 2",
        ]
        for client in (moderator, back, fresh):
            await client.disconnect()

    run(scenario)


def test_viewers_cannot_moderate_pin_or_advance(show, buyer_member):
    product = show.rundown.first().products.first()

    async def scenario():
        buyer = await joined(show, buyer_member)
        assert buyer.welcome["you"]["moderator"] is False
        for message in (
            {"type": "pin", "product_id": product.pk},
            {"type": "next"},
            {"type": "hide", "message_id": 1},
            {"type": "mute", "user_id": buyer_member.pk},
            {"type": "slow_mode", "seconds": 5},
            {"type": "announce", "text": "free money"},
        ):
            await buyer.send_json_to(message)
            assert (await next_of(buyer, "error"))["code"] == "forbidden"
        await buyer.disconnect()

    run(scenario)
    show.refresh_from_db()
    assert show.pinned_product is None and show.announcement == ""


def test_next_pins_first_product_of_next_company_for_every_viewer(show, host, buyer_member):
    first, second = show.rundown.order_by("position")
    gear = first.products.get(name_en="Gear reducer")
    stranger = factories.make_product(factories.make_company(), name_en="Not featured")

    async def scenario():
        viewers = [await joined(show), await joined(show, buyer_member)]
        moderator = await joined(show, host)
        await moderator.send_json_to({"type": "next"})
        for client in viewers:
            pin = await next_of(client, "pin")
            assert pin["current_item"] == first.pk
            assert pin["card"]["name"]["en"] == "Mini excavator"
            assert pin["card"]["company"]["en"] == "Changwon Precision"
        await moderator.send_json_to({"type": "next"})
        for client in viewers:
            pin = await next_of(client, "pin")
            assert (pin["current_item"], pin["card"]["name"]["en"]) == (second.pk, "Kimchi")
        await moderator.send_json_to({"type": "next"})
        assert (await next_of(moderator, "error"))["code"] == "rundown_end"
        await moderator.send_json_to({"type": "pin", "product_id": gear.pk})
        assert (await next_of(viewers[1], "pin"))["card"]["name"]["en"] == "Gear reducer"
        await moderator.send_json_to({"type": "pin", "product_id": stranger.pk})
        assert (await next_of(moderator, "error"))["code"] == "not_found"
        late = await joined(show)
        assert late.welcome["pinned"]["name"]["en"] == "Gear reducer"
        for client in (*viewers, moderator, late):
            await client.disconnect()

    run(scenario)
    assert show.pins.count() == 3


def test_presence_counts_each_viewer_once(show, buyer_member):
    async def scenario():
        first = await joined(show, buyer_member)
        second_tab = await joined(show, buyer_member)
        anonymous = await joined(show)
        counts = []
        while not counts or counts[-1] != 2:
            counts.append((await next_of(first, "presence"))["viewers"])
        await anonymous.disconnect()
        while counts[-1] != 1:
            counts.append((await next_of(first, "presence"))["viewers"])
        await first.disconnect()
        await second_tab.disconnect()

    run(scenario)
    assert show.samples.exists()


def test_announcement_reaches_viewers(show, host):
    async def scenario():
        viewer = await joined(show)
        moderator = await joined(show, host)
        await moderator.send_json_to({"type": "announce", "text": "Ask for samples!"})
        assert (await next_of(viewer, "announcement"))["text"] == "Ask for samples!"
        await viewer.disconnect()
        await moderator.disconnect()

    run(scenario)


def test_unknown_show_is_refused(transactional_db):
    async def scenario():
        client = WebsocketCommunicator(as_user(None), "/ws/studio/999999/")
        await client.connect()
        assert (await next_of(client, "error"))["code"] == "not_found"

    run(scenario)


def test_a_viewer_who_has_gone_ends_its_writer_quietly(caplog):
    """A send to a socket the viewer closed (uvicorn raises ClientDisconnected, an OSError) ends
    that viewer's writer without an error in the server log; other failures are logged."""
    import asyncio
    import logging

    from bizweek.studio.consumers import StudioConsumer

    async def scenario() -> tuple[bool, int]:
        consumer = StudioConsumer()
        consumer.session_id = 1
        consumer.outbox = asyncio.Queue()
        calls = []

        async def gone(event: dict) -> None:
            calls.append(event)
            raise OSError("client disconnected")

        consumer.studio_presence = gone
        consumer.outbox.put_nowait({"type": "studio.presence", "viewers": 1})
        consumer.outbox.put_nowait({"type": "studio.presence", "viewers": 2})
        writer = asyncio.create_task(consumer._write())
        await asyncio.wait_for(writer, timeout=2)
        return writer.done(), len(calls)

    with caplog.at_level(logging.ERROR, logger="bizweek.studio.consumers"):
        done, sent = asyncio.run(scenario())
    assert done and sent == 1  # stopped at the first failed send, nothing more tried
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
