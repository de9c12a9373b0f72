"""The permission matrix: every URL pattern and API route, as every role, and the status each
must answer. One declarative table; tests/security/test_permission_matrix.py walks the URL
resolver and fails for any pattern that has no row here (docs/security.md says how to add one).

WebSocket routes have their own table, WEBSOCKETS (at the end).
A row: URL name -> (method, kwargs, expectations). kwargs is a function of the fixture world
`w` (tests/security/test_permission_matrix.py: `w.seller`, `w.meeting`…). Expectations map a
role to a status; "*" is every role not named. Roles:
  anonymous, visitor, buyer (member of an approved buyer company that has a request and a
  meeting with the seller), exhibitor (member of another approved seller), pending (member of
  a pending company), interpreter (assigned to the meeting), host, organizer.
The pages and API are requested with the seller as the object unless the row says otherwise;
POST rows send an empty form (no change must happen for roles that are refused).
"""

from __future__ import annotations

ROLES = (
    "anonymous",
    "visitor",
    "buyer",
    "exhibitor",
    "pending",
    "interpreter",
    "host",
    "organizer",
)

LOGIN = 302  # anonymous users are sent to the login page
ALL_OK = {"*": 200}
SIGNED_IN = {"anonymous": LOGIN, "*": 200}
ORGANIZER_ONLY = {"anonymous": LOGIN, "organizer": 200, "*": 403}


def seller(w) -> dict:
    return {"pk": w.seller.pk}


PAGES: dict[str, tuple[str, object, dict]] = {}

# Patterns not requested, with the reason (files served from disk; Django's admin, which
# checks is_staff itself and is covered by one row, admin:index).
NOT_REQUESTED = {
    "serve": "media files from disk (MEDIA_ROOT), when BIZWEEK_SERVE_MEDIA=1; stored under "
    "random names, no per-user data",
}


def _pk(attr: str):
    return lambda w: {"pk": getattr(w, attr).pk}


booth = _pk("seller")
PAGES.update(
    {
        "home": ("GET", None, ALL_OK),
        "set_language": ("POST", None, {"*": 302}),
        "login": ("GET", None, {"anonymous": 200, "*": 302}),
        "logout": ("POST", None, {"*": 302}),
        "password_change": ("GET", None, SIGNED_IN),
        "password_change_done": ("GET", None, SIGNED_IN),
        "password_reset": ("GET", None, ALL_OK),
        "password_reset_done": ("GET", None, ALL_OK),
        "password_reset_confirm": (
            "GET",
            lambda w: {"uidb64": "MQ", "token": "set-password"},
            ALL_OK,
        ),
        "password_reset_complete": ("GET", None, ALL_OK),
        "accounts:dashboard": ("GET", None, SIGNED_IN),
        "accounts:profile": ("GET", None, SIGNED_IN),
        "accounts:create_token": ("POST", None, SIGNED_IN),
        "accounts:revoke_token": ("POST", _pk("token"), {"*": 302}),
        "companies:register": ("GET", None, ALL_OK),
        "companies:registered": ("GET", None, ALL_OK),
        # A link that is not (or no longer) valid: the same "invalid or used" page for everyone.
        "accounts:confirm": ("GET", lambda w: {"uidb64": "MQ", "token": "used-link"}, ALL_OK),
        "companies:list": ("GET", None, {"*": 302}),
        "companies:detail": ("GET", _pk("buyer_company"), ALL_OK),
        "companies:edit": ("GET", booth, ORGANIZER_ONLY),
        "companies:members": ("GET", booth, ORGANIZER_ONLY),
        "companies:review_queue": ("GET", None, ORGANIZER_ONLY),
        "companies:approve": (
            "POST",
            _pk("pending"),
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "companies:reject": (
            "POST",
            _pk("pending"),
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "companies:import": ("GET", None, ORGANIZER_ONLY),
        "companies:import_job": ("GET", _pk("import_job"), ORGANIZER_ONLY),
        "companies:import_job_progress": ("GET", _pk("import_job"), ORGANIZER_ONLY),
        "expo:hall": ("GET", None, ALL_OK),
        "expo:sector_hall": ("GET", lambda w: {"sector": w.sector.code}, ALL_OK),
        "expo:booth": ("GET", booth, ALL_OK),
        "expo:booth_edit": ("GET", booth, ORGANIZER_ONLY),
        "expo:booth_publish": ("POST", booth, {"anonymous": 302, "organizer": 302, "*": 403}),
        "expo:booth_feature": ("POST", booth, {"anonymous": 302, "organizer": 302, "*": 403}),
        "expo:booth_upload": (
            "POST",
            lambda w: {"pk": w.seller.pk, "field": "logo"},
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "expo:booth_clear": (
            "POST",
            lambda w: {"pk": w.seller.pk, "field": "logo"},
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "expo:product_new": ("GET", booth, ORGANIZER_ONLY),
        "expo:product_edit": (
            "GET",
            lambda w: {"pk": w.seller.pk, "product_pk": w.product.pk},
            ORGANIZER_ONLY,
        ),
        "expo:product_delete": (
            "POST",
            lambda w: {"pk": w.seller.pk, "product_pk": w.product.pk},
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "expo:product_move": (
            "POST",
            lambda w: {"pk": w.seller.pk, "product_pk": w.product.pk},
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "expo:photo_delete": (
            "POST",
            lambda w: {"pk": w.seller.pk, "photo_pk": w.photo.pk},
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "expo:brochure_add": ("POST", booth, {"anonymous": 302, "organizer": 302, "*": 403}),
        "expo:brochure_delete": (
            "POST",
            lambda w: {"pk": w.seller.pk, "brochure_pk": w.brochure.pk},
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "expo:booth_stats": ("GET", booth, ORGANIZER_ONLY),
        "expo:all_stats": ("GET", None, ORGANIZER_ONLY),
        "expo:product": ("GET", _pk("product"), ALL_OK),
        "expo:qr": ("GET", lambda w: {"kind": "booth", "pk": w.seller.pk}, ALL_OK),
        "matching:inbox": (
            "GET",
            None,
            {"anonymous": 302, "buyer": 200, "exhibitor": 200, "pending": 200, "*": 403},
        ),
        "matching:outbox": (
            "GET",
            None,
            {"anonymous": 302, "buyer": 200, "exhibitor": 200, "pending": 200, "*": 403},
        ),
        "matching:new_request": (
            "GET",
            lambda w: {"company_pk": w.seller.pk},
            {"anonymous": 302, "buyer": 200, "exhibitor": 200, "pending": 200, "*": 403},
        ),
        "matching:request": (
            "GET",
            _pk("request"),
            {"anonymous": 302, "buyer": 200, "organizer": 200, "*": 403},
        ),
        "matching:accept": (
            "POST",
            _pk("request"),
            {"anonymous": 302, "buyer": 302, "organizer": 302, "*": 403},
        ),
        "matching:propose": (
            "POST",
            _pk("request"),
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "matching:accept_unscheduled": (
            "POST",
            _pk("request"),
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "matching:decline": (
            "POST",
            _pk("request"),
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "matching:cancel": (
            "POST",
            _pk("request"),
            {"anonymous": 302, "buyer": 302, "organizer": 302, "*": 403},
        ),
        "matching:availability": (
            "GET",
            None,
            {"anonymous": 302, "visitor": 403, "host": 403, "organizer": 403, "*": 200},
        ),
        "matching:recommendations": (
            "GET",
            None,
            {"anonymous": 302, "buyer": 200, "exhibitor": 200, "pending": 200, "*": 403},
        ),
        "matching:settings": ("GET", None, ORGANIZER_ONLY),
        "matching:mark": (
            "POST",
            lambda w: {"company_pk": w.seller.pk},
            {"visitor": 403, "interpreter": 403, "host": 403, "organizer": 403, "*": 302},
        ),
        "scheduler:schedule": ("GET", None, ORGANIZER_ONLY),
        "scheduler:schedule_run": (
            "GET",
            lambda w: {"pk": 999999},
            {"anonymous": 302, "organizer": 404, "*": 403},
        ),
        "meetings:mine": ("GET", None, SIGNED_IN),
        "meetings:detail": (
            "GET",
            _pk("meeting"),
            {"anonymous": 302, "buyer": 200, "interpreter": 200, "organizer": 200, "*": 403},
        ),
        "meetings:ics": (
            "GET",
            _pk("meeting"),
            {"anonymous": 302, "buyer": 200, "interpreter": 200, "organizer": 200, "*": 403},
        ),
        "meetings:cancel": (
            "POST",
            _pk("meeting"),
            {"anonymous": 302, "buyer": 302, "organizer": 302, "*": 403},
        ),
        "meetings:assign_interpreter": (
            "POST",
            _pk("meeting"),
            {"anonymous": 302, "organizer": 302, "*": 403},
        ),
        "meetings:reset_feed": ("POST", None, {"*": 302}),
        "meetings:feed": ("GET", lambda w: {"token": "not-a-real-token"}, {"*": 404}),
        "meetings:interpretation": ("GET", None, ORGANIZER_ONLY),
        "notifications:list": ("GET", None, SIGNED_IN),
        "notifications:open": (
            "GET",
            _pk("notification"),
            {"anonymous": 302, "buyer": 302, "*": 404},
        ),
        "notifications:read_all": ("POST", None, {"*": 302}),
        "admin:index": ("GET", None, {"*": 302}),
    }
)

# Video rooms and control tower, scheduler, organizer and company figures, audit log, studio.
show = _pk("session")
POST_ORGANIZER = {"anonymous": LOGIN, "organizer": 302, "*": 403}
COMPANY_MEMBERS = {"anonymous": LOGIN, "buyer": 200, "exhibitor": 200, "pending": 200, "*": 403}
SHOW_RUNNERS = {"anonymous": LOGIN, "host": 200, "organizer": 200, "*": 403}
PAGES.update(
    {
        "companies:hs_search": ("GET", None, ALL_OK),
        "companies:contacts": ("GET", None, ORGANIZER_ONLY),
        "matching:request_message": (
            "POST",
            _pk("request"),
            {"anonymous": LOGIN, "buyer": 302, "organizer": 302, "*": 403},
        ),
        "matching:meeting_message": (
            "POST",
            _pk("meeting"),
            {"anonymous": LOGIN, "buyer": 302, "interpreter": 302, "organizer": 302, "*": 403},
        ),
        "matching:propose_move": ("GET", _pk("meeting"), {"anonymous": LOGIN, "*": 405}),
        # The seller proposed a move; the buyer answers it. The empty form has no time, so the
        # interpreter and organizers (who can see the meeting) are sent back with "choose a time"
        # before the service's own check (only the two companies) would refuse them: no change.
        "matching:accept_move": (
            "POST",
            _pk("move"),
            {"anonymous": LOGIN, "buyer": 302, "interpreter": 302, "organizer": 302, "*": 403},
        ),
        "matching:decline_move": (
            "POST",
            _pk("move"),
            {"anonymous": LOGIN, "buyer": 302, "*": 403},
        ),
        "scheduler:job": (
            "GET",
            lambda w: {"pk": 999999},
            {"anonymous": LOGIN, "organizer": 404, "*": 403},
        ),
        "scheduler:job_progress": (
            "GET",
            lambda w: {"pk": 999999},
            {"anonymous": LOGIN, "organizer": 404, "*": 403},
        ),
        "meetings:room": (
            "GET",
            _pk("meeting"),
            {"anonymous": LOGIN, "buyer": 200, "interpreter": 200, "organizer": 200, "*": 403},
        ),
        "meetings:not_happened": (
            "POST",
            _pk("meeting"),
            {"anonymous": LOGIN, "buyer": 302, "organizer": 302, "*": 403},
        ),
        "meetings:log": (
            "GET",
            lambda w: {"pk": w.meeting.pk, "company_id": w.seller.pk},
            {"anonymous": LOGIN, "interpreter": 200, "*": 403},
        ),
        "meetings:rates": ("GET", None, ORGANIZER_ONLY),
        "meetings:tower": ("GET", None, ORGANIZER_ONLY),
        "meetings:checks": ("GET", None, ORGANIZER_ONLY),
        "meetings:check": ("GET", None, SIGNED_IN),
        # Sharing needs a file: the room's people get 400 for an empty form, others 403.
        "meetings:share_file": (
            "POST",
            _pk("meeting"),
            {"anonymous": LOGIN, "buyer": 400, "interpreter": 400, "organizer": 400, "*": 403},
        ),
        "meetings:file": (
            "GET",
            lambda w: {"pk": w.meeting.pk, "file_id": 999999},
            {"anonymous": LOGIN, "buyer": 404, "interpreter": 404, "organizer": 404, "*": 403},
        ),
        "audit:log": ("GET", None, ORGANIZER_ONLY),
        "dashboard:figures": ("GET", None, ORGANIZER_ONLY),
        "dashboard:export_all": ("GET", lambda w: {"fmt": "xlsx"}, ORGANIZER_ONLY),
        "dashboard:meetings": ("GET", lambda w: {"fmt": "csv"}, ORGANIZER_ONLY),
        "dashboard:export": (
            "GET",
            lambda w: {"key": "companies_by_role", "fmt": "csv"},
            ORGANIZER_ONLY,
        ),
        "dashboard:queue_meetings": ("POST", None, POST_ORGANIZER),
        # The organizer's own finished export, whose file is gone: only they get that far.
        "dashboard:download_export": (
            "GET",
            _pk("export"),
            {"anonymous": LOGIN, "organizer": 404, "*": 403},
        ),
        "dashboard:report": ("GET", None, ORGANIZER_ONLY),
        "dashboard:report_pdf": ("GET", None, ORGANIZER_ONLY),
        "dashboard:nudges": ("POST", None, POST_ORGANIZER),
        "dashboard:mine": ("GET", None, COMPANY_MEMBERS),
        "dashboard:my_export_all": ("GET", lambda w: {"fmt": "xlsx"}, COMPANY_MEMBERS),
        "dashboard:my_export": (
            "GET",
            lambda w: {"key": "visits_by_day", "fmt": "csv"},
            COMPANY_MEMBERS,
        ),
        "dashboard:leads": ("GET", lambda w: {"fmt": "csv"}, COMPANY_MEMBERS),
        "studio:schedule": ("GET", None, ALL_OK),
        "studio:watch": ("GET", show, ALL_OK),
        "studio:ics": ("GET", show, ALL_OK),
        # Refused consultations (no product sent) go back to the show with a message.
        "studio:request": ("POST", show, {"*": 302}),
        # No recording on disk in the test world.
        "studio:hls": ("GET", lambda w: {"pk": w.session.pk, "name": "index.m3u8"}, {"*": 404}),
        "studio:console": ("GET", show, SHOW_RUNNERS),
        "studio:destinations": (
            "POST",
            show,
            {"anonymous": LOGIN, "host": 302, "organizer": 302, "*": 403},
        ),
        "studio:action": (
            "POST",
            lambda w: {"pk": w.session.pk, "action": "key"},
            {"anonymous": LOGIN, "host": 302, "organizer": 302, "*": 403},
        ),
        "studio:health": ("GET", show, SHOW_RUNNERS),
        "studio:figures": ("GET", show, SHOW_RUNNERS),
        "studio:rundown": ("GET", show, SHOW_RUNNERS),
        # Scheduling and changing shows is the organizers' job; the host runs them.
        "studio:new": ("GET", None, ORGANIZER_ONLY),
        "studio:edit": ("GET", show, ORGANIZER_ONLY),
        # Cancelling or restoring a show: a confirmation page, then a POST (organizers only).
        "studio:cancel": ("GET", show, ORGANIZER_ONLY),
        "studio:restore": ("GET", show, ORGANIZER_ONLY),
        # Any signed-in person may ask for (here: cancel) a reminder; back to the show's page.
        "studio:remind": ("POST", show, {"anonymous": LOGIN, "*": 302}),
    }
)

# WebSocket routes (src/bizweek/routing.py), connected through the site's own stack (origin
# check, session cookie) as each role. Row: route -> (kwargs, expectations); an expectation is
# "refused" (closed before the handshake completes, code 4403) or what the accepted socket's
# welcome grants: "joined" (the meeting room: a participant or an observing organizer), "tower"
# (the control tower's status feed), and in the studio "moderator", "chat" (may write in the
# chat) or "watch" (reads only). The meeting is moved to now so its room is open.
REFUSED = "refused"
WEBSOCKETS: dict[str, tuple[object, dict]] = {
    "ws/meetings/tower/": (None, {"organizer": "tower", "*": REFUSED}),
    "ws/meetings/<int:pk>/": (
        _pk("meeting"),
        {"buyer": "joined", "interpreter": "joined", "organizer": "joined", "*": REFUSED},
    ),
    "ws/studio/<int:session_id>/": (
        lambda w: {"session_id": w.session.pk},
        {"anonymous": "watch", "host": "moderator", "organizer": "moderator", "*": "chat"},
    ),
    # Browser ingest: only the show's host and organizers get past the permission check; the
    # matrix's show is not live, so they are told to go live first.
    "ws/studio/<int:session_id>/ingest/": (
        lambda w: {"session_id": w.session.pk},
        {"host": "error: not_live", "organizer": "error: not_live", "*": "error: forbidden"},
    ),
}

API: dict[tuple[str, str], tuple[object, object, dict]] = {
    ("GET", "/api/v1/companies"): (None, None, ALL_OK),
    ("GET", "/api/v1/companies/{company_id}"): (
        lambda w: {"company_id": w.seller.pk},
        None,
        ALL_OK,
    ),
    ("GET", "/api/v1/companies/{company_id}/recommendations"): (
        lambda w: {"company_id": w.buyer_company.pk},
        None,
        {"anonymous": 401, "buyer": 200, "organizer": 200, "*": 403},
    ),
    ("GET", "/api/v1/meeting-requests"): (
        None,
        None,
        {"anonymous": 401, "buyer": 200, "exhibitor": 200, "pending": 200, "*": 403},
    ),
    ("POST", "/api/v1/meeting-requests"): (
        None,
        {"to_company": 0, "slots": []},
        {"anonymous": 401, "*": 422},
    ),
    ("POST", "/api/v1/meeting-requests/{request_id}/accept"): (
        lambda w: {"request_id": w.request.pk},
        {"starts_at": "2000-01-01T00:00:00Z"},
        {"anonymous": 401, "buyer": 422, "exhibitor": 404, "pending": 404, "*": 403},
    ),
    ("POST", "/api/v1/meeting-requests/{request_id}/decline"): (
        lambda w: {"request_id": w.request.pk},
        {"reason": ""},
        {"anonymous": 401, "exhibitor": 404, "pending": 404, "*": 403},
    ),
    ("GET", "/api/v1/meetings"): (None, None, {"anonymous": 401, "*": 200}),
    ("GET", "/api/v1/broadcasts"): (None, None, ALL_OK),
    ("GET", "/api/v1/broadcasts/{broadcast_id}"): (
        lambda w: {"broadcast_id": w.session.pk},
        None,
        ALL_OK,
    ),
    ("GET", "/api/v1/stats"): (
        None,
        None,
        {
            "anonymous": 401,
            "buyer": 200,
            "exhibitor": 200,
            "pending": 200,
            "organizer": 200,
            "*": 403,
        },
    ),
}
