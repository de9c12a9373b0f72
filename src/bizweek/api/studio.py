"""/api/v1/broadcasts: the studio's shows with their rundowns (public, like the schedule page)."""

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from bizweek.events.services import current_event
from bizweek.studio import services
from bizweek.studio.models import BroadcastSession

router = Router(tags=["studio"])


class RundownItemOut(Schema):
    position: int
    company: int
    company_name: str
    products: list[int]
    planned_minutes: int
    started_at: datetime | None


class BroadcastOut(Schema):
    id: int
    title: str
    description: str
    category: str
    state: str
    starts_at: datetime
    ends_at: datetime
    host: str | None
    url: str
    rundown: list[RundownItemOut]


def _out(session: BroadcastSession) -> dict:
    from django.urls import reverse

    return {
        "id": session.pk,
        "title": session.title,
        "description": session.description,
        "category": session.category,
        "state": session.state,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "host": str(session.host) if session.host else None,
        "url": reverse("studio:watch", args=[session.pk]),
        "rundown": [
            {
                "position": item.position,
                "company": item.company_id,
                "company_name": item.company.name,
                "products": [p.pk for p in item.products.all()],
                "planned_minutes": item.planned_minutes,
                "started_at": item.started_at,
            }
            for item in services.rundown_of(session)
        ],
    }


@router.get("/broadcasts", response=list[BroadcastOut])
@paginate(LimitOffsetPagination)
def list_broadcasts(request: HttpRequest) -> list[dict]:
    event = current_event(request)
    return [_out(s) for s in services.sessions_of(event)] if event else []


@router.get("/broadcasts/{broadcast_id}", response=BroadcastOut)
def get_broadcast(request: HttpRequest, broadcast_id: int) -> dict:
    return _out(get_object_or_404(BroadcastSession, pk=broadcast_id))
