"""ICE servers: coturn's shared-secret credentials, expiring after the slot."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from bizweek.meetings import ice


def test_turn_credentials_follow_coturn_shared_secret_scheme():
    expires = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    username, password = ice.turn_credentials("s3cret", 17, expires)
    assert username == f"{int(expires.timestamp())}:17"
    expected = hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(password) == expected


def test_ice_servers_expire_at_slot_end_plus_margin(settings):
    settings.BIZWEEK_STUN_URLS = ["stun:turn.example.org:3478"]
    settings.BIZWEEK_TURN_URLS = ["turns:turn.example.org:443?transport=tcp"]
    settings.BIZWEEK_TURN_SECRET = "s3cret"
    settings.BIZWEEK_TURN_MARGIN_MINUTES = 10
    slot_end = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    stun, turn = ice.ice_servers(5, slot_end)
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert turn["username"] == f"{int(slot_end.timestamp()) + 600}:5"


def test_ice_servers_without_turn_secret_have_no_turn(settings):
    settings.BIZWEEK_STUN_URLS = []
    settings.BIZWEEK_TURN_URLS = ["turn:turn.example.org"]
    settings.BIZWEEK_TURN_SECRET = ""
    assert ice.ice_servers(5, datetime(2026, 12, 8, tzinfo=UTC)) == []
