"""Consultation figures (상담건수, 상담액, 계약추진액, 계약체결액, MOU) from the meetings'
outcomes and their two 상담일지, as SQL aggregates.

The figures sum `MeetingFigures` rows (`summed`): one per meeting, kept by database triggers
(migration 0004) from the same join that `with_logs` and `aggregates` express here, which the
meetings export reads and the tests compare the rows with. In that join each meeting is joined
once to its seller's log and once to its buyer's log (FilteredRelation), so a meeting is one row
and every total is a SUM over rows:

* confirmed: both logs agree (the flags meetings.services.refresh_confirmation stores); the
  seller's USD value counts, once;
* one-sided: not confirmed, as reported: the seller's value, else the buyer's (the rule of
  meetings.services.meeting_figures).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from bizweek.meetings.models import Meeting, Outcome

AMOUNTS = ("consultation", "expected_contract", "signed_contract")
NO_SHOWS = (Outcome.NO_SHOW_SELLER, Outcome.NO_SHOW_BUYER, Outcome.NO_SHOW_BOTH)
HELD = (Outcome.HELD, Outcome.PARTIAL)
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=18, decimal_places=2))
MONEY = DecimalField(max_digits=20, decimal_places=2)


def with_logs(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """The meetings with `sl` (the seller's log) and `bl` (the buyer's log) joined."""
    return meetings.annotate(
        sl=FilteredRelation("logs", condition=Q(logs__company=F("seller"))),
        bl=FilteredRelation("logs", condition=Q(logs__company=F("buyer"))),
    )


def aggregates(only: frozenset[str] | None = None) -> dict[str, Any]:
    """Aggregate expressions over `with_logs` rows; keys are the figure names. `only` keeps
    the named ones: each left out is one expression less per meeting row in the scan."""
    result: dict[str, Any] = {
        "held": Count("pk", filter=Q(outcome__outcome__in=HELD)),
        "no_show": Count("pk", filter=Q(outcome__outcome__in=NO_SHOWS)),
        "decided": Count("pk", filter=Q(outcome__isnull=False)),
        "logged": Count("pk", filter=Q(sl__isnull=False) | Q(bl__isnull=False)),
        "both_logged": Count("pk", filter=Q(sl__isnull=False, bl__isnull=False)),
        "mou_confirmed": Count("pk", filter=Q(sl__mou_confirmed=True)),
        "mou_one_sided": Count(
            "pk",
            filter=~Q(sl__mou_confirmed=True) & (Q(sl__mou_signed=True) | Q(bl__mou_signed=True)),
        ),
    }
    for name in AMOUNTS:
        confirmed = Q(**{f"sl__{name}_confirmed": True})
        result[f"{name}_confirmed"] = Coalesce(
            Sum(f"sl__{name}_usd", filter=confirmed, output_field=MONEY), ZERO
        )
        result[f"{name}_one_sided"] = Coalesce(
            Sum(
                Case(
                    When(confirmed, then=None),
                    default=Coalesce(f"sl__{name}_usd", f"bl__{name}_usd"),
                    output_field=MONEY,
                ),
                output_field=MONEY,
            ),
            ZERO,
        )
    if only is not None:
        result = {name: value for name, value in result.items() if name in only}
    return result


def summed() -> dict[str, Any]:
    """SUM expressions over `MeetingFigures` rows, under the names `aggregates` uses; amounts
    come out in cents (`from_cents` turns a row's into Decimals)."""
    return {"scheduled": Count("pk")} | {
        name: Sum(name) for name in sorted((SUMMED - {"scheduled"}) | MONEY_KEYS)
    }


def from_cents(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grouped `summed` rows with their amounts as exact Decimals of two places."""
    for row in rows:
        for name in MONEY_KEYS:
            row[name] = Decimal(row[name] or 0).scaleb(-2)
    return rows


def columns() -> list:
    return [
        gettext_lazy("Consultations held"),
        gettext_lazy("Consultation amount, confirmed (USD)"),
        gettext_lazy("Consultation amount, one side (USD)"),
        gettext_lazy("Expected contracts, confirmed (USD)"),
        gettext_lazy("Expected contracts, one side (USD)"),
        gettext_lazy("Signed contracts, confirmed (USD)"),
        gettext_lazy("Signed contracts, one side (USD)"),
        gettext_lazy("MOUs, confirmed"),
        gettext_lazy("MOUs, one side"),
    ]


def cells(row: dict[str, Any]) -> list[Any]:
    """A grouped row's figures in the order of `columns`."""
    out: list[Any] = [row["held"]]
    for name in AMOUNTS:
        out += [money(row[f"{name}_confirmed"]), money(row[f"{name}_one_sided"])]
    return [*out, row["mou_confirmed"], row["mou_one_sided"]]


def money(value: Any) -> Decimal:
    """Two decimals on every database (SQLite sums decimals as floats)."""
    if isinstance(value, Decimal):  # one C call; as_tuple() cost more on 4,700 exhibitor rows
        return value.quantize(CENT)
    return Decimal(str(value or 0)).quantize(CENT)


CENT = Decimal("0.01")


def fold(rows: Iterable[dict[str, Any]], keys: Callable[[dict[str, Any]], Iterable[Any]]) -> dict:
    """Add grouped rows up into coarser groups: the slots of a day into the day, an
    exhibitor's rows into each of its sectors. Loops over groups, never over meetings."""
    out: dict[Any, dict[str, Any]] = {}
    counted = amounts = ()
    for row in rows:
        if not counted:
            counted = [name for name in SUMMED if name in row]
            amounts = [name for name in MONEY_KEYS if name in row]
        for key in keys(row):
            total = out.get(key)
            if total is None:
                out[key] = total = dict.fromkeys(counted, 0) | dict.fromkeys(amounts, ZERO_AMOUNT)
            for name in counted:
                total[name] += row[name]
            for name in amounts:  # Decimals of two places already (the DecimalField converter)
                total[name] += row[name] or ZERO_AMOUNT
    return out


ZERO_AMOUNT = Decimal("0.00")
MONEY_KEYS = frozenset(f"{name}_{kind}" for name in AMOUNTS for kind in ("confirmed", "one_sided"))
SUMMED = frozenset(
    {"held", "no_show", "decided", "logged", "both_logged", "mou_confirmed", "mou_one_sided"}
    | {"scheduled", "interpreted"}
)
CELL_KEYS = MONEY_KEYS | {"held", "mou_confirmed", "mou_one_sided"}  # what `cells` reads
