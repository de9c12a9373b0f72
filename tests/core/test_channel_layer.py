"""The in-memory channel layer: the expiry sweep that Channels runs on every receive (a walk
over every channel and group) runs at most once a second, and still expires what it must."""

import asyncio
import time

from channels.layers import InMemoryChannelLayer as ChannelsLayer

from bizweek.core.channel_layer import SWEEP_INTERVAL_S, InMemoryChannelLayer


def test_sweep_runs_at_most_once_per_interval_not_per_message(monkeypatch):
    sweeps = []
    original = ChannelsLayer._clean_expired

    def counted(self):
        sweeps.append(time.monotonic())
        original(self)

    monkeypatch.setattr(ChannelsLayer, "_clean_expired", counted)

    async def scenario() -> float:
        layer = InMemoryChannelLayer(capacity=1000)
        idle = [await layer.new_channel() for _ in range(300)]  # 300 other sockets
        for channel in idle:
            await layer.group_add("room", channel)
        started = time.monotonic()
        for number in range(500):
            await layer.send("busy.channel", {"type": "signal", "n": number})
            assert (await layer.receive("busy.channel"))["n"] == number
        return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    assert 1 <= len(sweeps) <= 1 + elapsed / SWEEP_INTERVAL_S


def test_expired_messages_and_their_channels_still_leave_groups():
    async def scenario() -> None:
        layer = InMemoryChannelLayer(expiry=0)  # every message expires at once
        await layer.group_add("room", "gone.channel")
        await layer.group_add("room", "live.channel")
        await layer.send("gone.channel", {"type": "never.read"})
        await asyncio.sleep(SWEEP_INTERVAL_S + 0.1)
        await layer.send("live.channel", {"type": "hello"})
        layer._clean_expired()
        assert "gone.channel" not in layer.groups["room"]
        assert "gone.channel" not in layer.channels

    asyncio.run(scenario())
