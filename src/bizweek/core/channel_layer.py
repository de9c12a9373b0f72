"""The in-memory channel layer (one server process, no Redis), with its expiry sweep bounded.

Channels' `InMemoryChannelLayer` walks every channel's queue and every group membership on
each `receive`, so with N WebSockets connected each message delivered costs O(N): at a slot's
start (200 rooms, 400 sockets exchanging offers and ICE candidates) the sweep was most of the
server's event loop. Messages expire after a minute and group memberships after a day, so
sweeping at most once a second changes nothing anyone can see and makes a delivery O(1).
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

SWEEP_INTERVAL_S = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer; the expiry sweep runs at most once per `SWEEP_INTERVAL_S`."""

    _last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_INTERVAL_S:
            return
        self._last_sweep = now
        super()._clean_expired()
