"""The vendored hls.js is the 1.7.4 release file, but for two spellings of the same strings."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import bizweek

VENDOR = Path(bizweek.__file__).parent / "studio" / "static" / "studio" / "vendor"
RELEASE_SHA256 = "3d82a88cf9ae0d9aaab3cbe9ff6ecbb64bb89c54a399c34ae9bf8b559baeb20f"
RESPELLED = {b'"WX\\x58X"===t.type': b'"WXXX"===t.type', b'"TX\\x58X"===t.type': b'"TXXX"===t.type'}


def test_hls_js_is_the_release_but_for_the_frame_names_spelling():
    shipped = (VENDOR / "hls.light.min.mjs").read_bytes()
    restored = shipped
    for ours, release in RESPELLED.items():
        assert shipped.count(ours) == 1
        restored = restored.replace(ours, release)
    assert hashlib.sha256(restored).hexdigest() == RELEASE_SHA256
    assert not re.search(rb"TODO|FIXME|XXX", shipped)
