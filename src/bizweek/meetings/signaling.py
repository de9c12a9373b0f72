"""What a room's WebSocket accepts: one schema per message type, checked before anything
else looks at a message, and a token bucket per connection against floods.

See docs/meetings-protocol.md for the protocol these describe."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

MAX_MESSAGE_BYTES = 64 * 1024  # an SDP offer with a few tracks is 5-15 kB
MAX_SDP_CHARS = 60_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Description(_Strict):
    type: Literal["offer", "answer", "rollback"]
    sdp: str = Field(default="", max_length=MAX_SDP_CHARS)


class Candidate(_Strict):
    candidate: str = Field(max_length=2048)
    sdpMid: str | None = Field(default=None, max_length=64)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=64)
    usernameFragment: str | None = Field(default=None, max_length=256)


class Signal(_Strict):
    """An offer, answer or ICE candidate for exactly one other peer in the room."""

    type: Literal["signal"]
    to: int = Field(ge=1)
    description: Description | None = None
    candidate: Candidate | None = None

    @model_validator(mode="after")
    def _one_payload(self) -> Signal:
        if (self.description is None) == (self.candidate is None):
            raise ValueError("a signal carries either a description or a candidate")
        return self


class Chat(_Strict):
    type: Literal["chat"]
    text: str = Field(min_length=1, max_length=2000)


class Media(_Strict):
    """Whether the sender's microphone, camera and screen share are on (shown to others)."""

    type: Literal["media"]
    audio: bool
    video: bool
    screen: bool = False


class Extend(_Strict):
    type: Literal["extend"]


class Ping(_Strict):
    type: Literal["ping"]


ClientMessage = Annotated[Signal | Chat | Media | Extend | Ping, Field(discriminator="type")]
client_message = TypeAdapter(ClientMessage)


class TokenBucket:
    """`rate` messages a second on average, bursts of `burst`; in-process, per connection
    (a connection lives in one process, so nothing needs sharing)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
