"""HS codes as people write them: 8429.52, 842952, 8429 52, or a national 8- or 10-digit code.

Why: exhibitor lists come from customs paperwork (Korea's HSK, China's tariff codes) and from
spreadsheets that drop leading zeros; each of those names one HS 2022 subheading, and
refusing them would keep a valid company out of the hall.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s.\-–/]+")
_LIST_SPLIT = re.compile(r"[;,，、；\n]+")


@dataclass(frozen=True)
class ResolvedCode:
    """One code as written, and what it was taken as (`code` is None when refused)."""

    written: str
    code: str | None
    shortened: bool = False  # a national 8- or 10-digit code (or xxxx00) taken to HS 2022
    reason: str = ""  # why it was refused: "format" or "unknown"


def split_codes(raw: str) -> list[str]:
    """Split a list of codes at ; , or new lines; within a piece, spaces may group one code.

    "8429 52" is one code (a heading followed by the subheading digits), while "8429 3304"
    is two: a group of 2 digits after a 4- or 6-digit group continues it, anything else
    starts a new code.
    """
    codes: list[str] = []
    for piece in _LIST_SPLIT.split(raw or ""):
        current = ""
        for token in piece.split():
            digits = _SEPARATORS.sub("", token)
            continues = digits.isdigit() and (
                (len(current) in (4, 6) and len(digits) == 2)
                or (len(current) in (6, 8) and len(digits) in (2, 4))
            )
            if current and continues:
                current += digits
            else:
                if current:
                    codes.append(current)
                current = token
        if current:
            codes.append(current)
    return codes


def resolve_code(written: str, known: Collection[str]) -> ResolvedCode:
    """The HS 2022 code a written code stands for, or the reason it is refused."""
    digits = _SEPARATORS.sub("", written.strip())
    if not digits.isdigit() or not 1 <= len(digits) <= 10:
        return ResolvedCode(written, None, reason="format")
    if len(digits) % 2:  # a spreadsheet dropped the leading zero ("902" for 0902)
        digits = "0" + digits
    national = len(digits) > 6
    code = digits[:6] if national else digits
    if code not in known and len(code) == 6 and code.endswith("00") and code[:4] in known:
        code = code[:4]  # "8429.00": the heading, where it has no subheading 00
    if code not in known:
        return ResolvedCode(written, None, reason="unknown")
    return ResolvedCode(written, code, shortened=national or code != digits)


def resolve_codes(raw: str | Iterable[str], known: Collection[str]) -> list[ResolvedCode]:
    items = split_codes(raw) if isinstance(raw, str) else [c for c in raw if c and c.strip()]
    return [resolve_code(item, known) for item in items]
