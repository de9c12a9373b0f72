"""The organizer's figures, and a company's own, computed in the database.

Every figure is an aggregation (COUNT/SUM with GROUP BY), so a page costs the same handful of
queries with 50 meetings or 50,000. The page, `GET /api/v1/stats`, the exports and the results
report all call `event_figures` or `company_figures`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from bizweek.accounts.models import User
from bizweek.companies.models import Company, CompanyRole, CompanyStatus, Sector
from bizweek.countries import country_name
from bizweek.events.models import Event
from bizweek.expo.models import BoothVisit
from bizweek.matching.models import MeetingRequest, RequestState
from bizweek.meetings.models import Meeting, MeetingState, Outcome

from . import cache as figures_cache
from . import consultations
from .figures import Figures, Headline, Period, Table, rate
from .models import MeetingFigures

NAME_FIELDS = ("name_ko", "name_zh_hans", "name_zh_hant", "name_en")


def period_for(event: Event | None, since: date | None, until: date | None) -> Period:
    return Period(since=since, until=until, tz=event.timezone if event else "UTC")


def name_order() -> list[str]:
    """The name fields in the order `localized_name` tries them, for the reader's language."""
    lang = (get_language() or "en").replace("-", "_").lower()
    if lang == "zh_hant":
        return ["name_zh_hant", "name_zh_hans", "name_en", "name_ko"]
    return [f"name_{lang}"] + [f for f in NAME_FIELDS if f != f"name_{lang}"]


def localized_name(values: dict[str, Any], prefix: str = "", order: list[str] | None = None) -> str:
    """A company's name in the reader's language, else in any language it has. Pass `order`
    (from `name_order`) when naming thousands of companies: the language is looked up once."""
    for field_name in order or name_order():
        value = values.get(prefix + field_name)
        if value:
            return value
    return ""


def _require(user: User, perm: str, obj: Any = None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You may not see these figures."))


# --- companies ------------------------------------------------------------------------------


def _company_tables(period: Period) -> tuple[list[Headline], list[Table]]:
    companies = Company.objects.filter(period.instants("created_at"))
    approved = Q(status=CompanyStatus.APPROVED)
    by_role_status = defaultdict(int)
    for role, status, n in (
        companies.values_list("role", "status").annotate(n=Count("pk")).order_by()
    ):
        by_role_status[(role, status)] = n
    role_rows = []
    for role, label in CompanyRole.choices:
        counts = [by_role_status[(role, s)] for s in CompanyStatus.values]
        role_rows.append([str(label), sum(counts), *counts])
    totals = [sum(row[i] for row in role_rows) for i in range(1, 5)]
    role_rows.append([_("Total"), *totals])
    status_labels = [str(label) for label in CompanyStatus.labels]
    by_role = Table(
        "companies_by_role",
        gettext_lazy("Companies by role"),
        [gettext_lazy("Role"), gettext_lazy("Registered"), *status_labels],
        role_rows,
    )

    country_rows = [
        [country_name(row["country"]), row["sellers"], row["buyers"], row["approved"]]
        for row in companies.values("country")
        .annotate(
            sellers=Count("pk", filter=Q(role=CompanyRole.SELLER)),
            buyers=Count("pk", filter=Q(role=CompanyRole.BUYER)),
            approved=Count("pk", filter=approved),
        )
        .order_by("-approved", "country")
    ]
    by_country = Table(
        "companies_by_country",
        gettext_lazy("Companies by country"),
        [
            gettext_lazy("Country"),
            gettext_lazy("Sellers"),
            gettext_lazy("Buyers"),
            gettext_lazy("Approved"),
        ],
        country_rows,
        chart=3,
    )

    in_period = Q()
    if period.since is not None:
        in_period &= Q(company__created_at__gte=period.start())
    if period.until is not None:
        in_period &= Q(company__created_at__lt=period.end())
    sector_rows = [
        [sector.name, sector.sellers, sector.buyers, sector.approved]
        for sector in Sector.objects.annotate(
            sellers=Count("company", filter=in_period & Q(company__role=CompanyRole.SELLER)),
            buyers=Count("company", filter=in_period & Q(company__role=CompanyRole.BUYER)),
            approved=Count("company", filter=in_period & Q(company__status=CompanyStatus.APPROVED)),
        ).order_by("-approved", "position")
    ]
    by_sector = Table(
        "companies_by_sector",
        gettext_lazy("Companies by sector"),
        [
            gettext_lazy("Sector"),
            gettext_lazy("Sellers"),
            gettext_lazy("Buyers"),
            gettext_lazy("Approved"),
        ],
        sector_rows,
        chart=3,
        note=gettext_lazy("A company in several sectors counts in each."),
    )
    approved_sellers = by_role_status[(CompanyRole.SELLER, CompanyStatus.APPROVED)]
    approved_buyers = by_role_status[(CompanyRole.BUYER, CompanyStatus.APPROVED)]
    headline = [
        Headline("sellers_approved", gettext_lazy("Exhibitors (approved)"), approved_sellers),
        Headline("buyers_approved", gettext_lazy("Buyers (approved)"), approved_buyers),
        Headline(
            "countries",
            gettext_lazy("Countries"),
            sum(1 for row in country_rows if row[3]),
        ),
        Headline("approval_queue", gettext_lazy("Waiting for approval"), totals[1]),
    ]
    return headline, [by_role, by_country, by_sector]


# --- booth visits ---------------------------------------------------------------------------


def _visit_tables(period: Period, company: Company | None) -> tuple[list[Headline], list[Table]]:
    visits = BoothVisit.objects.filter(period.days("day"))
    if company is not None:
        visits = visits.filter(company=company)
    rows = [
        [day, n, views or 0]
        for day, n, views in visits.values_list("day")
        .annotate(n=Count("pk"), views=Sum("views"))
        .values_list("day", "n", "views")
        .order_by("day")
    ]
    table = Table(
        "visits_by_day",
        gettext_lazy("Booth visits by day"),
        [gettext_lazy("Day"), gettext_lazy("Unique visitors"), gettext_lazy("Page views")],
        rows,
        note=gettext_lazy("A visitor counts once per booth and day."),
    )
    headline = [
        Headline("booth_visits", gettext_lazy("Booth visits"), sum(r[1] for r in rows)),
        Headline("booth_views", gettext_lazy("Booth page views"), sum(r[2] for r in rows)),
    ]
    return headline, [table]


# --- matching funnel and interpreters ---------------------------------------------------------


def _meetings(period: Period, company: Company | None, event: Event | None) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(period.instants("starts_at"))
    if event is not None:
        meetings = meetings.filter(event=event)
    if company is not None:
        meetings = meetings.filter(Q(seller=company) | Q(buyer=company))
    return meetings


def _figures(
    period: Period, company: Company | None, event: Event | None
) -> QuerySet[MeetingFigures]:
    """The scheduled meetings' figure rows (`MeetingFigures`) in the period."""
    rows = MeetingFigures.objects.filter(period.instants("starts_at"), state=MeetingState.SCHEDULED)
    if event is not None:
        rows = rows.filter(event_id=event.pk)
    if company is not None:
        rows = rows.filter(Q(seller_id=company.pk) | Q(buyer_id=company.pk))
    return rows


def _slots(period: Period, company: Company | None, event: Event | None) -> list[dict[str, Any]]:
    """Consultation aggregates per buyer country and slot (meeting start): the countries, the
    days and the totals add up from these few hundred rows (countries x slots), so the
    meetings are read once for all three."""
    return consultations.from_cents(
        list(
            _figures(period, company, event)
            .values("starts_at", "buyer_country")  # GROUP BY in the ORDER BY's order: one sort
            .annotate(**consultations.summed())
            .order_by("starts_at", "buyer_country")
        )
    )


def _funnel(
    period: Period, company: Company | None, event: Event | None, slots: list[dict[str, Any]]
) -> tuple[list, list]:
    requests = MeetingRequest.objects.filter(period.instants("created_at"))
    if event is not None:
        requests = requests.filter(event=event)
    if company is not None:
        requests = requests.filter(Q(from_company=company) | Q(to_company=company))
    meetings = _meetings(period, company, event)
    r = requests.aggregate(
        total=Count("pk"),
        accepted=Count("pk", filter=Q(state=RequestState.ACCEPTED)),
        declined=Count("pk", filter=Q(state=RequestState.DECLINED)),
    )
    m = dict.fromkeys(consultations.SUMMED, 0) | {
        name: Decimal("0.00") for name in consultations.MONEY_KEYS
    }
    m |= consultations.fold(slots, lambda row: [None]).get(None, {})
    stages = [
        (gettext_lazy("Requests"), r["total"]),
        (gettext_lazy("Accepted"), r["accepted"]),
        (gettext_lazy("Scheduled meetings"), m["scheduled"]),
        (gettext_lazy("Held"), m["held"]),
        (gettext_lazy("Consultation log filed"), m["logged"]),
    ]
    funnel = Table(
        "funnel",
        gettext_lazy("Matching funnel"),
        [gettext_lazy("Stage"), gettext_lazy("Count"), gettext_lazy("% of requests")],
        [[label, n, rate(n, r["total"])] for label, n in stages],
        note=gettext_lazy(
            "Requests made in the period; meetings whose slot falls in it. The acceptance rate "
            "is accepted ÷ answered (accepted + declined); the no-show rate is no-shows ÷ "
            "meetings whose outcome is decided."
        ),
    )
    languages = [
        [lang or _("not given"), n, assigned, held]
        for lang, n, assigned, held in meetings.filter(
            state=MeetingState.SCHEDULED, needs_interpreter=True
        )
        .values_list("languages")
        .annotate(
            n=Count("pk"),
            assigned=Count("interpreter"),
            held=Count("pk", filter=Q(outcome__outcome__in=consultations.HELD)),
        )
        .values_list("languages", "n", "assigned", "held")
        .order_by("-n", "languages")
    ]
    interpreters = Table(
        "interpreters",
        gettext_lazy("Interpreter use"),
        [
            gettext_lazy("Languages"),
            gettext_lazy("Meetings needing an interpreter"),
            gettext_lazy("Interpreter assigned"),
            gettext_lazy("Held"),
        ],
        languages,
    )
    money = consultations.money
    headline = [
        Headline("requests", gettext_lazy("Meeting requests"), r["total"]),
        Headline(
            "acceptance_rate",
            gettext_lazy("Acceptance rate (%)"),
            rate(r["accepted"], r["accepted"] + r["declined"]),
        ),
        Headline("meetings_scheduled", gettext_lazy("Meetings scheduled"), m["scheduled"]),
        Headline("consultations_held", gettext_lazy("Consultations held"), m["held"]),
        Headline(
            "no_show_rate", gettext_lazy("No-show rate (%)"), rate(m["no_show"], m["decided"])
        ),
        Headline("logs_filed", gettext_lazy("Meetings with a consultation log"), m["logged"]),
        Headline(
            "consultation_confirmed",
            gettext_lazy("Consultation amount, confirmed (USD)"),
            money(m["consultation_confirmed"]),
        ),
        Headline(
            "consultation_one_sided",
            gettext_lazy("Consultation amount, one side (USD)"),
            money(m["consultation_one_sided"]),
        ),
        Headline(
            "expected_contract_confirmed",
            gettext_lazy("Expected contracts, confirmed (USD)"),
            money(m["expected_contract_confirmed"]),
        ),
        Headline(
            "expected_contract_one_sided",
            gettext_lazy("Expected contracts, one side (USD)"),
            money(m["expected_contract_one_sided"]),
        ),
        Headline(
            "signed_contract_confirmed",
            gettext_lazy("Signed contracts, confirmed (USD)"),
            money(m["signed_contract_confirmed"]),
        ),
        Headline(
            "signed_contract_one_sided",
            gettext_lazy("Signed contracts, one side (USD)"),
            money(m["signed_contract_one_sided"]),
        ),
        Headline("mou_confirmed", gettext_lazy("MOUs, confirmed"), m["mou_confirmed"]),
        Headline("mou_one_sided", gettext_lazy("MOUs, one side"), m["mou_one_sided"]),
        Headline(
            "interpreted_meetings", gettext_lazy("Meetings with interpretation"), m["interpreted"]
        ),
    ]
    return headline, [funnel, interpreters]


def _consultation_tables(
    period: Period, company: Company | None, event: Event | None, slots: list[dict[str, Any]]
) -> list[Table]:
    """Consultations and amounts by buyer country, seller sector, seller and day: one more
    aggregate query (by exhibitor); sectors add up from the exhibitors' rows, countries and
    days from the slots'."""
    aggs = {
        name: value
        for name, value in consultations.summed().items()
        if name in consultations.CELL_KEYS  # only what the tables show
    }
    note = gettext_lazy(
        "Confirmed: both companies' logs agree. One side: reported by one company only, or "
        "the two disagree (the seller's figure counts). Amounts in USD at the event's rates."
    )
    columns = consultations.columns()
    countries = consultations.fold(slots, lambda r: [r["buyer_country"]])
    by_country = sorted(
        ([country_name(code), *consultations.cells(total)] for code, total in countries.items()),
        key=lambda row: (-row[1], -row[2], str(row[0])),
    )
    company_rows = consultations.from_cents(
        list(
            _figures(period, company, event)
            .values("seller_id")
            .annotate(**aggs)
            .order_by("-held", "-consultation_confirmed")
        )
    )
    sectors_of: dict[int, list[int | None]] = defaultdict(list)
    for company_id, sector_id in Company.sectors.through.objects.filter(
        company__role=CompanyRole.SELLER
    ).values_list("company_id", "sector_id"):
        sectors_of[company_id].append(sector_id)
    sector_names = dict(Sector.objects.values_list("pk", "name"))
    sector_totals = consultations.fold(
        company_rows, lambda r: sectors_of.get(r["seller_id"], [None])
    )
    by_sector = sorted(
        (
            [sector_names.get(pk, _("no sector")), *consultations.cells(total)]
            for pk, total in sector_totals.items()
        ),
        key=lambda row: (-row[1], -row[2], str(row[0])),
    )
    order = name_order()
    names = {
        c["pk"]: localized_name(c, order=order)
        for c in Company.objects.filter(role=CompanyRole.SELLER).values("pk", *NAME_FIELDS)
    }
    by_company = [[names.get(r["seller_id"], ""), *consultations.cells(r)] for r in company_rows]
    zone = ZoneInfo(period.tz)
    days = consultations.fold(slots, lambda r: [r["starts_at"].astimezone(zone).date()])
    by_day = [[day, *consultations.cells(days[day])] for day in sorted(days)]
    make = [
        ("consultations_by_country", gettext_lazy("Consultations by buyer country"), by_country),
        ("consultations_by_sector", gettext_lazy("Consultations by exhibitor sector"), by_sector),
        ("consultations_by_exhibitor", gettext_lazy("Consultations by exhibitor"), by_company),
        ("consultations_by_day", gettext_lazy("Consultations by day"), by_day),
    ]
    first = [
        gettext_lazy("Country"),
        gettext_lazy("Sector"),
        gettext_lazy("Exhibitor"),
        gettext_lazy("Day"),
    ]
    return [
        Table(key, title, [first[i], *columns], data, chart=1, note=note)
        for i, (key, title, data) in enumerate(make)
    ]


# --- the two entry points -------------------------------------------------------------------


def _meeting_section(
    period: Period, company: Company | None, event: Event | None
) -> tuple[list[Headline], list[Table]]:
    """The funnel, interpreters and (for the event) the consultation tables: one read of the
    meetings by slot feeds them all."""
    slots = _slots(period, company, event)
    headline, tables = _funnel(period, company, event, slots)
    if company is None:
        tables = tables + _consultation_tables(period, None, event, slots)
    return headline, tables


def _assemble(figures: Figures, sections: list[tuple[list[Headline], list[Table]]]) -> Figures:
    for headline, tables in sections:
        figures.headline.extend(headline)
        figures.tables.extend(tables)
    return figures


def event_figures(event: Event | None, period: Period, *, by: User) -> Figures:
    """Every figure of the event, for organizers. Cached per data version (`cache.py`): the
    permission is checked on every call, before the cache is read."""
    _require(by, "dashboard.view_all_figures")
    version = figures_cache.data_version()
    params = ("event", event.pk if event else None, period)
    return _assemble(
        Figures(period=period, scope="event"),
        [
            figures_cache.cached(
                "companies",
                figures_cache.COMPANIES,
                params,
                version,
                lambda: _company_tables(period),
            ),
            figures_cache.cached(
                "visits",
                figures_cache.VISITS,
                params,
                version,
                lambda: _visit_tables(period, None),
            ),
            figures_cache.cached(
                "meetings",
                figures_cache.MEETINGS,
                params,
                version,
                lambda: _meeting_section(period, None, event),
            ),
        ],
    )


def company_figures(company: Company, event: Event | None, period: Period, *, by: User) -> Figures:
    """One company's own figures: its booth's visits, its requests, meetings and logs."""
    _require(by, "dashboard.view_company_figures", company)
    version = figures_cache.data_version()
    params = ("company", company.pk, event.pk if event else None, period)
    return _assemble(
        Figures(period=period, scope="company", company_name=str(company)),
        [
            figures_cache.cached(
                "visits",
                figures_cache.VISITS,
                params,
                version,
                lambda: _visit_tables(period, company),
            ),
            figures_cache.cached(
                "meetings",
                figures_cache.MEETINGS,
                params,
                version,
                lambda: _meeting_section(period, company, event),
            ),
        ],
    )


# --- lists for export -----------------------------------------------------------------------


def meetings_header() -> list[str]:
    return [
        _("Meeting"),
        _("State"),
        _("Seller"),
        _("Seller country"),
        _("Seller's time"),
        _("Seller time zone"),
        _("Buyer"),
        _("Buyer country"),
        _("Buyer's time"),
        _("Buyer time zone"),
        _("Interpretation"),
        _("Interpreter"),
        _("Outcome"),
        *[
            label % {"side": side}
            for side in (_("Seller"), _("Buyer"))
            for label in (
                _("%(side)s log: consultation amount (USD)"),
                _("%(side)s log: expected contracts (USD)"),
                _("%(side)s log: signed contracts (USD)"),
                _("%(side)s log: MOU"),
            )
        ],
    ]


def meeting_rows(event: Event | None, period: Period, *, by: User) -> Iterator[list[Any]]:
    """Every meeting with both sides and its time in each side's zone, streamed in chunks.

    The permission is checked here, at the call, not when the first row is read."""
    _require(by, "dashboard.view_all_figures")
    return _meeting_rows(event, period)


def _meeting_rows(event: Event | None, period: Period) -> Iterator[list[Any]]:
    meetings = Meeting.objects.filter(period.instants("starts_at"))
    if event is not None:
        meetings = meetings.filter(event=event)
    fields = ["pk", "state", "starts_at", "languages", "interpreter__email", "outcome__outcome"]
    log_fields = [
        f"{log}__{name}"
        for log in ("sl", "bl")
        for name in (
            "consultation_usd",
            "expected_contract_usd",
            "signed_contract_usd",
            "mou_signed",
        )
    ]
    # Names, countries and zones once per company (one query), not joined into every row.
    order = name_order()
    companies = {
        c["pk"]: (localized_name(c, order=order), c["country"], c["timezone"] or "UTC")
        for c in Company.objects.values("pk", "country", "timezone", *NAME_FIELDS)
    }
    zones = {tz: ZoneInfo(tz) for _name, _country, tz in companies.values()}
    states = {k: str(v) for k, v in MeetingState.choices}
    outcomes = {k: str(v) for k, v in Outcome.choices}
    mou = {None: "", True: _("yes"), False: _("no")}
    rows = consultations.with_logs(meetings).order_by("starts_at", "pk")
    for row in rows.values(*fields, "seller_id", "buyer_id", *log_fields).iterator(chunk_size=5000):
        starts = row["starts_at"]
        seller_name, seller_country, seller_tz = companies[row["seller_id"]]
        buyer_name, buyer_country, buyer_tz = companies[row["buyer_id"]]
        yield [
            row["pk"],
            states.get(row["state"], row["state"]),
            seller_name,
            seller_country,
            starts.astimezone(zones[seller_tz]).strftime("%Y-%m-%d %H:%M"),
            seller_tz,
            buyer_name,
            buyer_country,
            starts.astimezone(zones[buyer_tz]).strftime("%Y-%m-%d %H:%M"),
            buyer_tz,
            row["languages"],
            row["interpreter__email"] or "",
            outcomes.get(row["outcome__outcome"], ""),
            *[mou[row[name]] if name.endswith("mou_signed") else row[name] for name in log_fields],
        ]


def lead_header() -> list[str]:
    return [
        _("Company"),
        _("Country"),
        _("Role"),
        _("Booth visits (days)"),
        _("Page views"),
        _("Requests"),
        _("Request state"),
        _("Meetings"),
        _("First meeting"),
    ]


def lead_rows(company: Company, period: Period, *, by: User) -> list[list[Any]]:
    """Who visited the booth (signed-in visitors of a company), who asked for a meeting or was
    asked, and who met: one row per counterpart company, in four queries."""
    _require(by, "dashboard.view_company_figures", company)
    leads: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "days": 0,
            "views": 0,
            "requests": 0,
            "states": set(),
            "meetings": 0,
            "first": None,
        }
    )
    for other, days, views in (
        BoothVisit.objects.filter(period.days("day"), company=company, user__company__isnull=False)
        .values_list("user__company")
        .annotate(days=Count("pk"), views=Sum("views"))
        .values_list("user__company", "days", "views")
    ):
        leads[other]["days"] += days
        leads[other]["views"] += views or 0
    requests = MeetingRequest.objects.filter(
        period.instants("created_at"), Q(from_company=company) | Q(to_company=company)
    )
    states = dict(RequestState.choices)
    for sender, receiver, state, n in (
        requests.values_list("from_company", "to_company", "state")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        other = receiver if sender == company.pk else sender
        leads[other]["requests"] += n
        leads[other]["states"].add(str(states.get(state, state)))
    meetings = Meeting.objects.filter(
        period.instants("starts_at"),
        Q(seller=company) | Q(buyer=company),
        state=MeetingState.SCHEDULED,
    )
    for seller, buyer, n, first in (
        meetings.values_list("seller", "buyer")
        .annotate(n=Count("pk"), first=Min("starts_at"))
        .order_by()
    ):
        other = buyer if seller == company.pk else seller
        leads[other]["meetings"] += n
        if leads[other]["first"] is None or first < leads[other]["first"]:
            leads[other]["first"] = first
    leads.pop(company.pk, None)  # the company's own staff looking at their booth
    companies = {
        c["pk"]: c
        for c in Company.objects.filter(pk__in=list(leads)).values(
            "pk", "country", "role", *NAME_FIELDS
        )
    }
    roles = dict(CompanyRole.choices)
    zone = ZoneInfo(company.timezone or "UTC")
    rows = []
    for pk, lead in leads.items():
        other = companies.get(pk)
        if other is None:
            continue
        rows.append(
            [
                localized_name(other),
                country_name(other["country"]),
                str(roles.get(other["role"], other["role"])),
                lead["days"],
                lead["views"],
                lead["requests"],
                ", ".join(sorted(lead["states"])),
                lead["meetings"],
                lead["first"].astimezone(zone).strftime("%Y-%m-%d %H:%M") if lead["first"] else "",
            ]
        )
    rows.sort(key=lambda r: (-r[7], -r[5], -r[3], r[0]))
    return rows
