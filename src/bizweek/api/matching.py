"""/api/v1/meeting-requests and /api/v1/meetings, for the signed-in company."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from bizweek.companies.models import Company
from bizweek.events.services import current_event
from bizweek.matching import services
from bizweek.matching.models import MeetingRequest, RequestState
from bizweek.meetings.models import Meeting
from bizweek.meetings.services import meetings_for

from .auth import session_auth, token_auth
from .pagination import BoundedPagination

router = Router(tags=["matching"], auth=[token_auth, session_auth])


class SlotOut(Schema):
    starts_at: datetime
    proposed_by: int = Field(alias="proposed_by_id")


class RequestOut(Schema):
    id: int
    state: str
    from_company: int = Field(alias="from_company_id")
    to_company: int = Field(alias="to_company_id")
    awaiting: int | None = Field(alias="awaiting_id")
    message: str
    needs_interpreter: bool
    languages: str
    decline_reason: str
    slots: list[SlotOut]
    meeting: int | None = None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_slots(obj: MeetingRequest) -> list:
        return [s for s in obj.slots.all() if s.is_current]

    @staticmethod
    def resolve_meeting(obj: MeetingRequest) -> int | None:
        meeting = getattr(obj, "meeting", None)
        return meeting.pk if meeting else None


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give the time with its UTC offset, e.g. 2026-12-01T02:00:00Z")
    return value


class RequestIn(Schema):
    to_company: int
    slots: list[datetime] = Field(min_length=1, max_length=services.MAX_PROPOSED_SLOTS)
    message: str = Field("", max_length=2000)
    needs_interpreter: bool = False
    languages: str = Field("", max_length=20)

    @field_validator("slots")
    @classmethod
    def slots_have_offsets(cls, value: list[datetime]) -> list[datetime]:
        return [_aware(moment) for moment in value]


class AcceptIn(Schema):
    starts_at: datetime

    @field_validator("starts_at")
    @classmethod
    def has_offset(cls, value: datetime) -> datetime:
        return _aware(value)


class DeclineIn(Schema):
    reason: str = Field("", max_length=1000)


class MeetingOut(Schema):
    id: int
    state: str
    seller: int = Field(alias="seller_id")
    buyer: int = Field(alias="buyer_id")
    starts_at: datetime
    ends_at: datetime
    request: int | None = Field(alias="request_id")
    needs_interpreter: bool
    languages: str
    interpreter: int | None = Field(alias="interpreter_id")


def _company(request: HttpRequest) -> Company:
    if request.user.company is None:
        raise PermissionDenied(_("This API is for company accounts."))
    return request.user.company


def _requests(request: HttpRequest) -> QuerySet[MeetingRequest]:
    company = _company(request)
    return (
        MeetingRequest.objects.filter(Q(from_company=company) | Q(to_company=company))
        .select_related("meeting")
        .prefetch_related("slots")
        .order_by("-updated_at")
    )


@router.get("/meeting-requests", response=list[RequestOut], summary="My company's requests")
@paginate(BoundedPagination)
def list_requests(request: HttpRequest, box: str = "", state: str = "") -> QuerySet:
    """Requests sent and received; `box=inbox|outbox`, `state=pending|accepted|…`."""
    qs = _requests(request)
    company = request.user.company
    if box == "inbox":
        qs = qs.filter(to_company=company)
    elif box == "outbox":
        qs = qs.filter(from_company=company)
    if state in RequestState.values:
        qs = qs.filter(state=state)
    return qs


@router.post("/meeting-requests", response={201: RequestOut}, summary="Request a meeting")
def create_request(request: HttpRequest, payload: RequestIn) -> Status:
    event = current_event()
    if event is None:
        raise PermissionDenied(_("No event is set up yet."))
    _company(request)
    other = Company.objects.filter(pk=payload.to_company).first()
    if other is None or not request.user.has_perm("companies.view_company", other):
        from django.http import Http404

        raise Http404
    created = services.create_request(
        event,
        other,
        by=request.user,
        slots=payload.slots,
        message=payload.message,
        needs_interpreter=payload.needs_interpreter,
        languages=payload.languages,
    )
    return Status(201, created)


def _own_request(request: HttpRequest, request_id: int) -> MeetingRequest:
    return get_object_or_404(_requests(request), pk=request_id)


@router.post("/meeting-requests/{request_id}/accept", response=MeetingOut, summary="Accept a time")
def accept_request(request: HttpRequest, request_id: int, payload: AcceptIn) -> Meeting:
    return services.accept(_own_request(request, request_id), payload.starts_at, by=request.user)


@router.post("/meeting-requests/{request_id}/decline", response=RequestOut, summary="Decline")
def decline_request(request: HttpRequest, request_id: int, payload: DeclineIn) -> MeetingRequest:
    return services.decline(
        _own_request(request, request_id), by=request.user, reason=payload.reason
    )


@router.get("/meetings", response=list[MeetingOut], summary="My meetings")
@paginate(BoundedPagination)
def list_meetings(request: HttpRequest) -> QuerySet[Meeting]:
    return meetings_for(request.user)
