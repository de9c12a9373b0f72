"""ICE servers for a meeting room: STUN, and TURN with coturn's short-lived credentials.

coturn's `use-auth-secret` scheme (the "TURN REST API"): username `<expiry>:<user id>`,
password base64(HMAC-SHA1(shared secret, username)). coturn recomputes the password from the
username and refuses it once the expiry has passed, so the page never holds a lasting secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings


def turn_credentials(secret: str, user_id: int, expires_at: datetime) -> tuple[str, str]:
    username = f"{int(expires_at.timestamp())}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(user_id: int, valid_until: datetime) -> list[dict]:
    """RTCPeerConnection's iceServers: the STUN URLs, and the TURN URLs with credentials valid
    until `valid_until` plus the configured margin (nothing when TURN is not configured)."""
    servers: list[dict] = []
    if settings.BIZWEEK_STUN_URLS:
        servers.append({"urls": list(settings.BIZWEEK_STUN_URLS)})
    if settings.BIZWEEK_TURN_URLS and settings.BIZWEEK_TURN_SECRET:
        expires = valid_until + timedelta(minutes=settings.BIZWEEK_TURN_MARGIN_MINUTES)
        username, password = turn_credentials(settings.BIZWEEK_TURN_SECRET, user_id, expires)
        servers.append(
            {"urls": list(settings.BIZWEEK_TURN_URLS), "username": username, "credential": password}
        )
    return servers


def transport_policy() -> str:
    """RTCPeerConnection's iceTransportPolicy: "relay" forces every call through TURN."""
    return "relay" if settings.BIZWEEK_ICE_TRANSPORT_POLICY == "relay" else "all"
