"""Fixed-window counters in the Django cache: login throttles, invitation and contact limits.

The cache is Redis when `REDIS_URL` is set, so every worker process counts against the same
window; without it (one process) the local-memory cache is enough.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def _key(scope: str, ident: str, window: int) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"bizweek:rl:{scope}:{digest}:{int(time.time() // window)}"


def count(scope: str, ident: str, window: int) -> int:
    """How many hits `ident` has in the current window of `scope`."""
    return int(cache.get(_key(scope, ident, window)) or 0)


def hit(scope: str, ident: str, window: int) -> int:
    """Count one more hit and return the total in the current window."""
    key = _key(scope, ident, window)
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        return 1


def allow(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count a hit; False once `ident` went past `limit` hits in this window."""
    return hit(scope, ident, window) <= limit


def reset(scope: str, ident: str, window: int) -> None:
    cache.delete(_key(scope, ident, window))


def client_address(request: HttpRequest) -> str:
    """The client's address as the server saw it (a TLS proxy in front sets REMOTE_ADDR via
    uvicorn's --proxy-headers; X-Forwarded-For is not trusted here)."""
    return request.META.get("REMOTE_ADDR") or "unknown"
