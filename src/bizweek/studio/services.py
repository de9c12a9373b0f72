"""The live PR studio's rules: scheduling, going live, chat, moderation, pins and leads.

Every function here is synchronous (the ORM is); the WebSocket consumer calls them through
`database_sync_to_async`, pages and the CLI call them directly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bizweek.accounts.models import User
from bizweek.audit import services as audit
from bizweek.events.models import Event
from bizweek.expo.models import Product
from bizweek.matching import services as matching_services

from .models import (
    BroadcastSession,
    ChatMessage,
    Pin,
    Restriction,
    RundownItem,
    SessionState,
    StudioLead,
    ViewerConnection,
    ViewerSample,
    new_stream_key,
)

MAX_CHAT_LENGTH = 500
MAX_ANNOUNCEMENT_LENGTH = 300
MAX_SLOW_MODE_SECONDS = 300
HISTORY_LIMIT = 100
# Owncast's limit: 3 messages per 2 seconds; moderators are exempt.
RATE_LIMIT_MESSAGES = 3
RATE_LIMIT_SECONDS = 2.0
LANGUAGES = ("ko", "zh_hans", "zh_hant", "en")


class Refused(Exception):
    """An action the sender may not take or that is malformed: told to them, nobody else."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- schedule ------------------------------------------------------------------------------


def sessions_of(event: Event) -> QuerySet[BroadcastSession]:
    return event.broadcasts.select_related("host").order_by("starts_at", "pk")


def live_sessions(event: Event) -> list[BroadcastSession]:
    """Live shows, ceremonies first (the home page puts them on top)."""
    live = list(event.broadcasts.filter(state=SessionState.LIVE).order_by("starts_at"))
    return sorted(live, key=lambda s: not s.is_ceremony)


def next_sessions(session: BroadcastSession, limit: int = 4) -> list[BroadcastSession]:
    return list(
        BroadcastSession.objects.filter(event_id=session.event_id, starts_at__gt=session.starts_at)
        .exclude(state__in=[SessionState.ENDED, SessionState.CANCELLED])
        .order_by("starts_at")[:limit]
    )


def cancel(session: BroadcastSession, *, by: User) -> BroadcastSession:
    """Take a show that has not started off the programme (organizers only: they own it).

    Its reminders stay subscribed but are not sent while it is cancelled (`reminders.send_due`
    sends only for scheduled shows), so restoring it brings them back; everyone who asked for
    one is told now, in their language.
    """
    return _switch(session, SessionState.SCHEDULED, SessionState.CANCELLED, by=by)


def restore(session: BroadcastSession, *, by: User) -> BroadcastSession:
    """Put a cancelled show back on the programme, if its time has not passed."""
    return _switch(session, SessionState.CANCELLED, SessionState.SCHEDULED, by=by)


def _switch(session: BroadcastSession, before: str, after: str, *, by: User) -> BroadcastSession:
    from .reminders import tell_subscribers

    if not by.has_perm("studio.schedule_sessions"):
        raise PermissionDenied(_("Only the organizers can cancel or restore shows."))
    with transaction.atomic():
        locked = BroadcastSession.objects.select_for_update().get(pk=session.pk)
        if locked.state != before:
            if after == SessionState.CANCELLED:
                raise Refused(
                    "not_scheduled", _("Only a show that has not started can be cancelled.")
                )
            raise Refused("not_cancelled", _("This show is not cancelled."))
        if after == SessionState.SCHEDULED and locked.ends_at <= timezone.now():
            raise Refused(
                "past", _("This show's time has passed: change its times, then restore it.")
            )
        locked.state = after
        locked.save()  # post_save keeps the agenda in step (signals.py)
        cancelled = after == SessionState.CANCELLED
        audit.record(by, "show.cancelled" if cancelled else "show.restored", locked)
        kind = "show_cancelled" if cancelled else "show_restored"
        transaction.on_commit(lambda: tell_subscribers.enqueue(locked.pk, kind))
    session.state = after
    return session


def rundown_of(session: BroadcastSession) -> list[RundownItem]:
    return list(
        session.rundown.select_related("company").prefetch_related("products").order_by("position")
    )


def add_rundown_item(
    session: BroadcastSession,
    company_id: int,
    products: list[Product],
    minutes: int,
) -> RundownItem:
    position = session.rundown.count() + 1
    item = RundownItem.objects.create(
        session=session, company_id=company_id, position=position, planned_minutes=minutes
    )
    item.products.set(products)
    return item


def edit_rundown(session: BroadcastSession, action: str, data: dict, *, by: User) -> None:
    """The rundown page's edits: add a featured company, change an item's products and minutes,
    move it up or down, remove it. Positions stay 1..n in order."""
    from bizweek.companies.models import Company

    require(by, "studio.run_session", session)
    items = list(session.rundown.order_by("position", "pk"))
    item = None
    if action != "add":
        item = next((i for i in items if str(i.pk) == str(data.get("item", ""))), None)
        if item is None:
            raise Refused("not_found", _("That rundown item does not exist."))
    minutes = data.get("minutes", "")
    if action in {"add", "save"}:
        try:
            minutes = int(minutes)
        except (TypeError, ValueError):
            minutes = 0
        if not 1 <= minutes <= 180:
            raise Refused("invalid", _("Planned minutes must be between 1 and 180."))
    with transaction.atomic():
        if action == "add":
            company_id = str(data.get("company", "")).strip()
            sellers = Company.objects.approved().sellers()
            company = sellers.filter(pk=company_id).first() if company_id.isdigit() else None
            if company is None:
                raise Refused("not_found", _("Choose an approved exhibiting company."))
            first = list(company.products.order_by("position", "pk")[:1])
            add_rundown_item(session, company.pk, first, minutes)
        elif action == "save":
            wanted = {str(v) for v in data.get("products", [])}
            item.products.set([p for p in item.company.products.all() if str(p.pk) in wanted])
            item.planned_minutes = minutes
            item.save(update_fields=["planned_minutes"])
        elif action in {"up", "down"}:
            index = items.index(item)
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(items):
                items[index], items[other] = items[other], items[index]
        elif action == "remove":
            if session.current_item_id == item.pk:
                raise Refused("invalid", _("The company on air now cannot be removed."))
            items.remove(item)
            item.delete()
        else:
            raise Refused("bad_request", _("That message is not understood."))
        if action in {"up", "down", "remove"}:
            for position, row in enumerate(items, start=1):
                if row.position != position:
                    row.position = position
                    row.save(update_fields=["position"])


# --- running a show ------------------------------------------------------------------------


def require(user: User, perm: str, session: BroadcastSession) -> None:
    if not user.has_perm(perm, session):
        raise PermissionDenied(_("Only the show's host and the organizers can do this."))


def go_live(session: BroadcastSession, *, by: User) -> BroadcastSession:
    require(by, "studio.run_session", session)
    if session.state == SessionState.LIVE:
        return session
    if session.state == SessionState.CANCELLED:
        raise Refused("cancelled", _("This show is cancelled: an organizer must restore it first."))
    session.state = SessionState.LIVE
    session.went_live_at = session.went_live_at or timezone.now()
    session.ended_at = None
    session.save(update_fields=["state", "went_live_at", "ended_at"])
    return session


def end(session: BroadcastSession, *, by: User) -> BroadcastSession:
    require(by, "studio.run_session", session)
    session.state = SessionState.ENDED
    session.ended_at = timezone.now()
    session.save(update_fields=["state", "ended_at"])
    return session


def regenerate_key(session: BroadcastSession, *, by: User) -> str:
    """A new secret key: the old one is refused from now on (the listener restarts with it)."""
    require(by, "studio.run_session", session)
    session.stream_key = new_stream_key()
    session.save(update_fields=["stream_key"])
    return session.stream_key


def add_destination(session: BroadcastSession, name: str, url: str, *, by: User) -> object:
    """An extra RTMP destination; the listener restarts with it (the recording goes on)."""
    from .models import RestreamDestination

    require(by, "studio.run_session", session)
    destination = RestreamDestination(session=session, name=name.strip()[:60], url=url.strip())
    destination.full_clean()
    destination.save()
    return destination


def remove_destination(session: BroadcastSession, destination_id: int, *, by: User) -> None:
    require(by, "studio.run_session", session)
    session.destinations.filter(pk=destination_id).delete()


def product_card(product: Product, item: RundownItem | None = None) -> dict:
    """What every viewer sees of a pinned product, in all languages (each page picks its own)."""
    company = product.company
    photo = product.photos.order_by("position").first() if hasattr(product, "photos") else None
    return {
        "id": product.pk,
        "name": {lang: getattr(product, f"name_{lang}") or "" for lang in LANGUAGES},
        "company_id": company.pk,
        "company": {lang: getattr(company, f"name_{lang}") or "" for lang in LANGUAGES},
        "country": company.country,
        "moq": product.moq,
        "price_min": str(product.price_min) if product.price_min is not None else None,
        "price_max": str(product.price_max) if product.price_max is not None else None,
        "currency": product.currency,
        "photo": (photo.thumbnail or photo.image).url if photo else None,
        "rundown_item": item.pk if item else None,
    }


def _featured_product(session: BroadcastSession, product_id: object) -> Product:
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise Refused("bad_request", _("Choose a product.")) from None
    product = (
        Product.objects.select_related("company")
        .filter(pk=product_id, company__rundown_items__session=session)
        .first()
    )
    if product is None:
        raise Refused("not_found", _("That product is not featured in this show."))
    return product


def pin(session: BroadcastSession, product_id: object, *, by: User) -> tuple[Pin, dict]:
    require(by, "studio.moderate_session", session)
    product = _featured_product(session, product_id)
    item = session.rundown.filter(company_id=product.company_id).order_by("position").first()
    with transaction.atomic():
        record = Pin.objects.create(
            session=session, product=product, rundown_item=item, pinned_by=by
        )
        session.pinned_product = product
        session.save(update_fields=["pinned_product"])
    return record, product_card(product, item)


def advance(session: BroadcastSession, *, by: User) -> tuple[RundownItem, dict | None]:
    """ "Next": the next company in the rundown goes on, its first product is pinned for all."""
    require(by, "studio.run_session", session)
    items = rundown_of(session)
    if not items:
        raise Refused("empty_rundown", _("The rundown is empty."))
    position = next((i for i, item in enumerate(items) if item.pk == session.current_item_id), None)
    if position is not None and position + 1 >= len(items):
        raise Refused("rundown_end", _("This was the last company of the rundown."))
    item = items[0 if position is None else position + 1]
    now = timezone.now()
    card = None
    with transaction.atomic():
        item.started_at = now
        item.save(update_fields=["started_at"])
        session.current_item = item
        products = sorted(item.products.all(), key=lambda p: (p.position, p.pk))
        if products:
            product = products[0]
            Pin.objects.create(session=session, product=product, rundown_item=item, pinned_by=by)
            session.pinned_product = product
            card = product_card(product, item)
        session.save(update_fields=["current_item", "pinned_product"])
    return item, card


def current_card(session: BroadcastSession) -> dict | None:
    if session.pinned_product_id is None:
        return None
    product = Product.objects.select_related("company").get(pk=session.pinned_product_id)
    return product_card(product, session.current_item)


# --- chat ----------------------------------------------------------------------------------


def message_payload(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "text": message.text,  # escaped by the page when shown (textContent), never as HTML
        "name": message.sender_name,
        "company": message.company_name,
        "country": message.country,
        "user_id": message.user_id,
        "at": message.created_at.isoformat(),
    }


def history(session_id: int, after_id: int | None = None) -> list[dict]:
    """What was said since `after_id` (a reconnecting viewer), or the last messages."""
    messages = ChatMessage.objects.filter(session_id=session_id, hidden=False)
    if after_id:
        rows = list(messages.filter(pk__gt=after_id).order_by("pk")[:HISTORY_LIMIT])
    else:
        rows = list(messages.order_by("-pk")[:HISTORY_LIMIT])[::-1]
    return [message_payload(m) for m in rows]


def restriction_of(session_id: int, user: User) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Restriction.objects.filter(session_id=session_id, user=user)
        .values_list("kind", flat=True)
        .first()
    )


def _rate_limited(session_id: int, user_id: int) -> bool:
    """At most RATE_LIMIT_MESSAGES per RATE_LIMIT_SECONDS per user and show (all processes)."""
    key = f"studio:rate:{session_id}:{user_id}"
    now = time.time()
    recent = [t for t in (cache.get(key) or []) if now - t < RATE_LIMIT_SECONDS]
    if len(recent) >= RATE_LIMIT_MESSAGES:
        return True
    recent.append(now)
    cache.set(key, recent, timeout=int(RATE_LIMIT_SECONDS) + 1)
    return False


def post_chat(
    session: BroadcastSession, user: User, text: object, *, moderator: bool | None = None
) -> ChatMessage:
    if not user.has_perm("studio.chat"):
        raise Refused("sign_in", _("Log in to chat."))
    if not isinstance(text, str) or not text.strip():
        raise Refused("bad_request", _("Write a message first."))
    text = text.strip()
    if len(text) > MAX_CHAT_LENGTH:
        raise Refused(
            "too_long",
            _("A message can have at most %(count)d characters.") % {"count": MAX_CHAT_LENGTH},
        )
    restriction = restriction_of(session.pk, user)
    if restriction:
        raise Refused("muted", _("A moderator has muted you in this show."))
    if moderator is None:
        moderator = user.has_perm("studio.moderate_session", session)
    if not moderator:
        if session.slow_mode_seconds:
            since = timezone.now() - timedelta(seconds=session.slow_mode_seconds)
            if ChatMessage.objects.filter(
                session=session, user=user, created_at__gt=since
            ).exists():
                raise Refused(
                    "slow_mode",
                    _("Slow mode: one message every %(seconds)d seconds.")
                    % {"seconds": session.slow_mode_seconds},
                )
        if _rate_limited(session.pk, user.pk):
            raise Refused("rate_limited", _("You are sending messages too fast. Wait a moment."))
    company = user.company
    return ChatMessage.objects.create(
        session=session,
        user=user,
        sender_name=user.display_name or _("Viewer %(number)d") % {"number": user.pk},
        company_name=company.name if company else "",
        country=company.country if company else "",
        text=text,
    )


def hide_message(session: BroadcastSession, message_id: object, *, by: User) -> int:
    require(by, "studio.moderate_session", session)
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise Refused("bad_request", _("Choose a message.")) from None
    if not ChatMessage.objects.filter(session=session, pk=message_id).update(hidden=True):
        raise Refused("not_found", _("That message does not exist."))
    audit.record(by, "moderation", session, step="message hidden", message=message_id)
    return message_id


def restrict(session: BroadcastSession, user_id: object, kind: str, *, by: User) -> int:
    """Mute or ban a user for this show, or lift it (kind ""); moderators cannot be restricted."""
    require(by, "studio.moderate_session", session)
    try:
        target = User.objects.get(pk=int(user_id))
    except (TypeError, ValueError, User.DoesNotExist):
        raise Refused("not_found", _("That user does not exist.")) from None
    if target.has_perm("studio.moderate_session", session):
        raise Refused("forbidden", _("Moderators cannot be muted or banned."))
    if kind:
        Restriction.objects.update_or_create(
            session=session, user=target, defaults={"kind": kind, "created_by": by}
        )
    else:
        Restriction.objects.filter(session=session, user=target).delete()
    audit.record(by, "moderation", session, step=kind or "lifted", user=target.email)
    return target.pk


def set_slow_mode(session: BroadcastSession, seconds: object, *, by: User) -> int:
    require(by, "studio.moderate_session", session)
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise Refused("bad_request", _("Slow mode needs a number of seconds.")) from None
    if not 0 <= seconds <= MAX_SLOW_MODE_SECONDS:
        raise Refused(
            "bad_request",
            _("Slow mode is between 0 and %(max)d seconds.") % {"max": MAX_SLOW_MODE_SECONDS},
        )
    session.slow_mode_seconds = seconds
    session.save(update_fields=["slow_mode_seconds"])
    return seconds


def set_announcement(session: BroadcastSession, text: object, *, by: User) -> str:
    require(by, "studio.moderate_session", session)
    if not isinstance(text, str):
        raise Refused("bad_request", _("Write the announcement first."))
    text = text.strip()
    if len(text) > MAX_ANNOUNCEMENT_LENGTH:
        raise Refused(
            "too_long",
            _("An announcement can have at most %(count)d characters.")
            % {"count": MAX_ANNOUNCEMENT_LENGTH},
        )
    session.announcement = text
    session.save(update_fields=["announcement"])
    return text


# --- consultation requests from a show ------------------------------------------------------


def request_consultation(
    session: BroadcastSession, product_id: object, *, by: User, message: str = ""
) -> StudioLead:
    """A meeting request to the product's company, marked as coming from this show."""
    if not by.is_authenticated:
        raise PermissionDenied(_("Log in to request a consultation."))
    product = _featured_product(session, product_id)
    item = session.rundown.filter(company_id=product.company_id).order_by("position").first()
    note = message.strip()[:1500] or _(
        "Consultation request from the live show “%(title)s”: %(product)s"
    ) % {
        "title": session.title,
        "product": product.name,
    }
    with transaction.atomic():
        request = matching_services.create_request(
            session.event,
            product.company,
            by=by,
            slots=[],
            message=note,
            source=f"studio:{session.pk}",
        )
        return StudioLead.objects.create(
            session=session,
            rundown_item=item,
            product=product,
            company=product.company,
            request=request,
        )


# --- viewers -------------------------------------------------------------------------------


def viewer_key(user: User | None, session_key: str | None, channel_name: str) -> str:
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return f"a{session_key or channel_name}"[:64]


def connect_viewer(session_id: int, user: User | None, key: str) -> int:
    user_id = user.pk if user is not None and user.is_authenticated else None
    return ViewerConnection.objects.create(
        session_id=session_id, user_id=user_id, viewer_key=key
    ).pk


def disconnect_viewer(connection_id: int) -> None:
    ViewerConnection.objects.filter(pk=connection_id).update(disconnected_at=timezone.now())


def viewer_count(session_id: int) -> int:
    """Distinct viewers connected now (one person with two tabs counts once)."""
    return (
        ViewerConnection.objects.filter(session_id=session_id, disconnected_at__isnull=True)
        .values("viewer_key")
        .distinct()
        .count()
    )


def sample_viewers(session_id: int) -> int:
    count = viewer_count(session_id)
    ViewerSample.objects.create(session_id=session_id, viewers=count)
    return count


# --- figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    peak: int
    unique: int
    chat_messages: int
    samples: list[tuple[datetime, int]]
    leads_by_company: list[dict]
    leads_by_item: list[dict]


def figures(session: BroadcastSession, user: User) -> Figures:
    """The show's figures; a featured company's member sees only its own part."""
    require_figures = user.has_perm("studio.view_session_figures", session)
    if not require_figures:
        raise PermissionDenied(_("Only organizers and the featured companies see these figures."))
    everything = user.has_perm("studio.view_all_figures", session)
    samples = list(session.samples.values_list("at", "viewers"))
    leads = StudioLead.objects.filter(session=session)
    items = session.rundown.select_related("company").order_by("position")
    if not everything:
        leads = leads.filter(company_id=user.company_id)
        items = items.filter(company_id=user.company_id)
    by_company = leads.values("company_id").annotate(requests=Count("pk")).order_by("-requests")
    names = {item.company_id: item.company.name for item in items}
    by_item = {
        row["rundown_item_id"]: row["n"]
        for row in leads.values("rundown_item_id").annotate(n=Count("pk"))
    }
    return Figures(
        peak=max((v for _at, v in samples), default=0),
        unique=session.connections.values("viewer_key").distinct().count(),
        chat_messages=session.chat_messages.count(),
        samples=samples,
        leads_by_company=[
            {
                "company": names.get(row["company_id"], row["company_id"]),
                "requests": row["requests"],
            }
            for row in by_company
        ],
        leads_by_item=[
            {
                "position": item.position,
                "company": item.company.name,
                "started_at": item.started_at,
                "requests": by_item.get(item.pk, 0),
            }
            for item in items
        ],
    )


def replay_start(session: BroadcastSession) -> datetime | None:
    """The moment the replay's time 0 shows: the recording's first frame, else going live."""
    from .ingest import recording_started_at

    return recording_started_at(session.pk) or session.went_live_at


def chapters(session: BroadcastSession) -> list[dict]:
    """Replay chapters: each company where it was presented, in seconds from the start."""
    start = replay_start(session)
    if start is None:
        return []
    return [
        {
            "t": max(0.0, (item.started_at - start).total_seconds()),
            "company": item.company.name,
            "item": item.pk,
        }
        for item in rundown_of(session)
        if item.started_at
    ]


def replay_pins(session: BroadcastSession) -> list[dict]:
    """The product cards at the times they were pinned, in seconds from the start."""
    start = replay_start(session)
    if start is None:
        return []
    pins = session.pins.select_related("product__company", "rundown_item").order_by("pinned_at")
    return [
        {
            "t": max(0.0, (p.pinned_at - start).total_seconds()),
            **product_card(p.product, p.rundown_item),
        }
        for p in pins
    ]
