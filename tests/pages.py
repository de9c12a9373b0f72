"""Every page of the site, per role, over a small but complete fair: shared by the phone-width
browser test and the untranslated-string test, so a new page is added in one place."""

from __future__ import annotations

from datetime import time, timedelta

from django.urls import reverse
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.companies.models import ImportJob, ImportState
from bizweek.events.models import AgendaItem, AgendaKind
from bizweek.matching import services as matching
from bizweek.matching.models import MeetingDay, MeetingRequest, RequestState
from bizweek.meetings.models import Meeting
from tests import factories


def build_site() -> dict:
    """A fair with a pending request, a meeting with an interpreter and messages, a PR session,
    a pending registration, and one account per role. Returns {role: (user, [urls])}."""
    event = factories.make_event(
        name_ko="창원 비즈위크", name_zh_hans="昌原商务周", name_en="Changwon Bizweek"
    )
    for offset in (3, 4):
        MeetingDay.objects.create(
            event=event,
            date=(timezone.now() + timedelta(days=offset)).date(),
            starts=time(8),
            ends=time(22),
        )
    start = timezone.now() + timedelta(hours=5)
    AgendaItem.objects.create(
        event=event,
        kind=AgendaKind.PR_SESSION,
        title_ko="수소 밸리 라이브",
        title_en="Hydrogen valley live",
        title_zh_hans="氢能谷直播",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    seller = factories.make_company(
        name_ko="세진하이드로텍", name_en="Sejin Hydrotech Co., Ltd. International Division"
    )
    product = factories.make_product(seller, name_ko="수소 저장 탱크", hs_code_id="842952")
    exhibitor = factories.make_member(seller, email="kim@sejin.example", language="ko")
    buyer_company = factories.make_company(
        role="buyer", name_zh_hans="曼谷华丰国际贸易", country="TH", timezone="Asia/Bangkok"
    )
    buyer = factories.make_member(
        buyer_company, email="chen@huafeng.example", language="zh-hans", timezone="Asia/Bangkok"
    )
    other_buyer = factories.make_member(
        factories.make_company(
            role="buyer", name_en="Osaka Trading", country="JP", timezone="Asia/Tokyo"
        ),
        email="sato@osaka.example",
    )
    factories.make_company(name_ko="심사대기기업", status="pending")
    slots = matching.common_slots(event, seller, buyer_company)
    first = matching.create_request(event, seller, by=buyer, slots=slots[:2], message="价格？")
    meeting = matching.accept(first, slots[0], by=exhibitor)
    interpreter = factories.make_user(
        role=Role.INTERPRETER, email="li@interp.example", languages="ko-zh"
    )
    Meeting.objects.filter(pk=meeting.pk).update(interpreter=interpreter, needs_interpreter=True)
    matching.post_message("보내 주신 자료 잘 받았습니다.", by=exhibitor, meeting=meeting)
    pending = matching.create_request(
        event, seller, by=other_buyer, slots=slots[4:6], message="Catalogue?"
    )
    MeetingRequest.objects.create(
        event=event,
        from_company=other_buyer.company,
        to_company=factories.make_company(name_ko="자동배정기업"),
        state=RequestState.ACCEPTED,
        organizer_schedules=True,
    )
    organizer = factories.make_organizer(email="org@fair.example")
    # A finished import with a row error; its report was written in the uploader's language.
    import_job = ImportJob.objects.create(
        created_by=organizer,
        file_name="companies.csv",
        state=ImportState.DONE,
        done=1,
        total=1,
        report={
            "ok": False,
            "summary": "1개 행에 문제 1건: 아무것도 저장되지 않았습니다.",
            "errors": [{"row": 2, "column": "country", "message": "알 수 없는 국가"}],
            "notes": [],
        },
    )
    host = factories.make_user(role=Role.HOST, email="host@fair.example")
    visitor = factories.make_user(role=Role.VISITOR, email="visitor@fair.example")

    public = [
        reverse("home"),
        reverse("companies:register"),
        reverse("companies:registered"),
        reverse("accounts:confirm", kwargs={"uidb64": "MQ", "token": "used-link"}),
        reverse("expo:hall"),
        reverse("expo:hall") + "?q=탱크",
        reverse("expo:sector_hall", args=["machinery"]),
        reverse("expo:booth", args=[seller.pk]),
        reverse("expo:product", args=[product.pk]),
        reverse("companies:detail", args=[buyer_company.pk]),
        reverse("login"),
        reverse("password_reset"),
    ]
    everyone = [
        reverse("accounts:dashboard"),
        reverse("accounts:profile"),
        reverse("notifications:list"),
        reverse("password_change"),
    ]
    company_pages = [
        reverse("matching:inbox"),
        reverse("matching:outbox"),
        reverse("matching:availability"),
        reverse("matching:recommendations"),
        reverse("meetings:mine"),
        reverse("meetings:detail", args=[meeting.pk]),
    ]
    return {
        "anonymous": (None, public),
        "exhibitor": (
            exhibitor,
            [
                *everyone,
                *company_pages,
                reverse("matching:request", args=[pending.pk]),
                reverse("matching:request", args=[first.pk]),
                reverse("companies:edit", args=[seller.pk]),
                reverse("companies:members", args=[seller.pk]),
                reverse("expo:booth_edit", args=[seller.pk]),
                reverse("expo:product_new", args=[seller.pk]),
                reverse("expo:product_edit", args=[seller.pk, product.pk]),
                reverse("expo:booth_stats", args=[seller.pk]),
            ],
        ),
        "buyer": (
            buyer,
            [
                *everyone,
                *company_pages,
                reverse("matching:new_request", args=[seller.pk]),
                reverse("companies:edit", args=[buyer_company.pk]),
            ],
        ),
        "interpreter": (
            interpreter,
            [
                *everyone,
                reverse("meetings:mine"),
                reverse("matching:availability"),
                reverse("meetings:detail", args=[meeting.pk]),
            ],
        ),
        "host": (host, everyone),
        "visitor": (visitor, everyone),
        "organizer": (
            organizer,
            [
                *everyone,
                reverse("companies:review_queue"),
                reverse("companies:import"),
                reverse("companies:import_job", args=[import_job.pk]),
                reverse("companies:contacts"),
                reverse("expo:all_stats"),
                reverse("matching:settings"),
                reverse("scheduler:schedule"),
                reverse("meetings:interpretation"),
                reverse("meetings:detail", args=[meeting.pk]),
                reverse("studio:new"),
            ],
        ),
    }
