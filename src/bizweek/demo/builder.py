"""Build the demo event in the database from the deterministic catalog.

Scale 1 has the real event's shape: 473 Korean sellers, 631 overseas buyers, 20 live PR
sessions featuring 75 sellers, opening and closing ceremonies. Content depends only on the
seed; dates are placed around the day the demo is built, so the live week is on now.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bizweek.accounts.models import Role, User
from bizweek.companies.models import Company, CompanyRole, CompanyStatus, HSCode, Sector
from bizweek.companies.services import member_role
from bizweek.events.models import Event
from bizweek.expo.models import Product
from bizweek.studio import services as studio_services
from bizweek.studio.models import BroadcastSession, Category

from . import catalog

DEMO_PASSWORD = "bizweek-demo"  # noqa: S105  (printed for people trying the demo)  # nosec B105
DEMO_DOMAIN = "demo.bizweek.test"
PENDING_REGISTRATIONS = 6
PR_SESSIONS = 20
FEATURED_SELLERS = 75

Progress = Callable[[str], None]

COMPANY_TEXT_FIELDS = [
    "name_ko",
    "name_zh_hans",
    "name_zh_hant",
    "name_en",
    "description_ko",
    "description_zh_hans",
    "description_zh_hant",
    "description_en",
]


@dataclass
class DemoResult:
    sellers: int = 0
    buyers: int = 0
    products: int = 0
    users: int = 0
    pending: int = 0
    matching: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, password)


def _company(profile: dict, status: str) -> Company:
    company = Company(
        role=profile["role"],
        status=status,
        external_id=profile["external_id"],
        country=profile["country"],
        city=profile["city"],
        timezone=profile["timezone"],
        company_size=profile.get("company_size", ""),
        markets=profile.get("markets", []),
        website=profile.get("website", ""),
        contact_name=profile.get("contact_name", ""),
        contact_email=profile.get("contact_email", ""),
        contact_phone=profile.get("contact_phone", ""),
        language=_preferred_language(profile),
    )
    for name in COMPANY_TEXT_FIELDS:
        setattr(company, name, profile.get(name, ""))
    company.derive_chinese_variants()
    if status == CompanyStatus.APPROVED:
        company.reviewed_at = timezone.now()
    return company


def _preferred_language(profile: dict) -> str:
    for lang, field_name in (
        ("ko", "name_ko"),
        ("zh-hant", "name_zh_hant"),
        ("zh-hans", "name_zh_hans"),
    ):
        if profile.get(field_name) and (lang != "zh-hans" or not profile.get("name_ko")):
            return lang
    return "en"


def _product(company_id: int, position: int, row: dict) -> Product:
    product = Product(
        company_id=company_id,
        external_id=row["external_id"],
        hs_code_id=row["hs_code"],
        moq=row.get("moq"),
        price_min=Decimal(row["price_min"]) if row.get("price_min") else None,
        price_max=Decimal(row["price_max"]) if row.get("price_max") else None,
        currency=row.get("currency", "USD"),
        position=position,
    )
    for name in ("name_ko", "name_zh_hans", "name_en"):
        setattr(product, name, row.get(name, ""))
    for name in ("description_ko", "description_zh_hans", "description_en"):
        setattr(product, name, row.get(name, ""))
    product.derive_chinese_variants()
    return product


def _event(now: datetime) -> Event:
    seoul = ZoneInfo("Asia/Seoul")
    today = now.astimezone(seoul).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = today - timedelta(days=1)
    event = Event(
        slug="changwon-bizweek",
        timezone="Asia/Seoul",
        registration_opens_at=starts - timedelta(days=45),
        registration_closes_at=starts + timedelta(days=5),
        starts_at=starts,
        ends_at=starts + timedelta(days=5),
        matching_ends_at=starts + timedelta(days=5 + 42),
        is_current=True,
        name_ko="창원 온라인 비즈위크",
        name_zh_hans="昌原线上商务周",
        name_en="Changwon Online Bizweek",
        tagline_ko="한국 제조기업과 세계 화상 바이어가 만나는 온라인 비즈니스 위크",
        tagline_zh_hans="韩国制造企业与全球华商在线对接的商务周",
        tagline_en="Korean manufacturers meet overseas buyers online",
        organizer_name_ko="창원특례시",
        organizer_name_zh_hans="昌原特例市",
        organizer_name_en="Changwon Special City",
        description_ko=(
            "사이버 전시관, 1:1 화상 수출상담, 오아시스 라이브 PR 방송으로 "
            "창원과 전국의 중소기업이 해외 화상(華商) 바이어를 만납니다."
        ),
        description_zh_hans=(
            "线上展馆、一对一视频洽谈与Oasis直播推介，"
            "让韩国中小企业与泰国、马来西亚、中国、美国等地的华商采购商在线相聚。"
        ),
        description_en=(
            "A cyber exhibition hall, one-to-one video consultations and the Oasis live PR "
            "studio bring Korean SMEs together with overseas buyers."
        ),
    )
    event.derive_chinese_variants()
    return event


SECTOR_CATEGORY = {
    "consumer-goods": Category.CONSUMER_GOODS,
    "ict": Category.ICT,
    "hydrogen-energy": Category.HYDROGEN,
    "machinery": Category.MACHINERY,
    "bio-health": Category.HEALTH,
    "food": Category.FOOD,
    "cosmetics": Category.BEAUTY,
    "startups": Category.STARTUPS,
}


def _shows(event: Event, sectors: list[Sector], featured: list[Company], host: User) -> int:
    """The opening and closing ceremonies and the 20 PR shows with their rundowns.

    The shows own the schedule; the studio keeps an agenda row in step with each.
    """
    day1 = event.starts_at
    ceremonies = [
        (day1 + timedelta(hours=10), "개막식", "开幕式", "Opening ceremony"),
        (day1 + timedelta(days=4, hours=17), "폐막식", "闭幕式", "Closing ceremony"),
    ]
    for start, ko, zh, en in ceremonies:
        BroadcastSession(
            event=event,
            category=Category.CEREMONY,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            host=host,
            title_ko=ko,
            title_zh_hans=zh,
            title_en=en,
        ).save()
    per_session = [featured[i::PR_SESSIONS] for i in range(PR_SESSIONS)]
    products: dict[int, list[Product]] = {}
    for product in Product.objects.filter(company__in=featured).order_by("company_id", "position"):
        products.setdefault(product.company_id, []).append(product)
    for number in range(PR_SESSIONS):
        day = day1 + timedelta(days=number // 5)
        start = day + timedelta(hours=13 + (number % 5))
        sector = sectors[number % len(sectors)]
        companies = per_session[number]
        session = BroadcastSession(
            event=event,
            category=SECTOR_CATEGORY.get(sector.code, Category.OTHER),
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            host=host,
            title_ko=f"오아시스 라이브 PR {number + 1}: {sector.name_ko}",
            title_zh_hans=f"Oasis直播推介 {number + 1}：{sector.name_zh_hans}",
            title_en=f"Oasis live PR {number + 1}: {sector.name_en}",
            description_ko=", ".join(c.name_ko or c.name_en for c in companies),
            description_en=", ".join(c.name_en or c.name_ko for c in companies),
        )
        session.save()
        minutes = 45 // max(1, len(companies))
        for company in companies:
            shown = products.get(company.pk, [])[: 1 + company.pk % 3]
            studio_services.add_rundown_item(session, company.pk, shown, minutes)
    return PR_SESSIONS + len(ceremonies)


def database_is_empty() -> bool:
    return not Company.objects.exists() and not Event.objects.exists()


def reset() -> None:
    """Delete what the demo creates (and everything like it): events, companies, non-admin users."""
    from bizweek.expo.search import clear

    with transaction.atomic():
        clear()
        Product.objects.all().delete()
        User.objects.filter(Q(is_superuser=False) | Q(email__endswith=f"@{DEMO_DOMAIN}")).delete()
        Company.objects.all().delete()
        Event.objects.all().delete()


def build_demo(scale: int = 1, seed: int = 1, progress: Progress | None = None) -> DemoResult:
    say = progress or (lambda message: None)
    rng = random.Random(seed)
    result = DemoResult()
    hs_known = set(HSCode.objects.values_list("code", flat=True))
    sectors = {sector.code: sector for sector in Sector.objects.all()}
    seller_count, buyer_count = catalog.SELLER_COUNT * scale, catalog.BUYER_COUNT * scale

    say(f"generating {seller_count} sellers and {buyer_count} buyers (seed {seed})")
    sellers = [catalog.seller_profile(rng, i) for i in range(seller_count)]
    buyers = [catalog.buyer_profile(rng, i) for i in range(buyer_count)]
    pending = [catalog.seller_profile(rng, seller_count + i) for i in range(PENDING_REGISTRATIONS)]
    for number, profile in enumerate(pending, start=1):
        profile["external_id"] = f"NEW{number:03d}"
        profile["contact_email"] = f"new{number:03d}@seller.{DEMO_DOMAIN}"
    profiles = [
        *[(p, CompanyStatus.APPROVED) for p in sellers + buyers],
        *[(p, CompanyStatus.PENDING) for p in pending],
    ]

    with transaction.atomic():
        event = _event(timezone.now())
        event.save()
        say("writing companies")
        companies = [_company(profile, status) for profile, status in profiles]
        Company.objects.bulk_create(companies, batch_size=1000)
        by_external = {company.external_id: company.pk for company in companies}
        sector_links, hs_links, products = [], [], []
        for profile, _status in profiles:
            company_id = by_external[profile["external_id"]]
            sector_links += [
                Company.sectors.through(company_id=company_id, sector_id=sectors[code].pk)
                for code in profile["sectors"]
            ]
            hs_links += [
                Company.hs_codes.through(company_id=company_id, hscode_id=code)
                for code in dict.fromkeys(profile["hs_codes"])
                if code in hs_known
            ]
            for position, row in enumerate(profile.get("products", [])):
                products.append(_product(company_id, position, row))
        Company.sectors.through.objects.bulk_create(sector_links, batch_size=2000)
        Company.hs_codes.through.objects.bulk_create(hs_links, batch_size=2000)
        say(f"writing {len(products)} products")
        Product.objects.bulk_create(products, batch_size=2000)

        say("writing accounts")
        password = make_password(DEMO_PASSWORD)
        users = [
            User(
                email=profile["contact_email"],
                username=profile["contact_email"],
                display_name=profile.get("contact_name", ""),
                password=password,
                role=member_role(profile["role"]),
                company_id=by_external[profile["external_id"]],
                language=_preferred_language(profile),
                timezone=profile["timezone"],
            )
            for profile, _status in profiles
        ]
        staff = [
            ("organizer", Role.ORGANIZER, "주최측 담당자", "ko", True),
            ("host", Role.HOST, "쇼호스트 김하늘", "ko", False),
            ("interpreter.zh", Role.INTERPRETER, "통역사 왕리", "zh-hans", False),
            ("interpreter.zh2", Role.INTERPRETER, "통역사 이수진", "ko", False),
            ("interpreter.en", Role.INTERPRETER, "Interpreter Jane Park", "en", False),
            ("visitor", Role.VISITOR, "Visitor", "en", False),
        ]
        for local, role, name, lang, is_staff in staff:
            email = f"{local}@{DEMO_DOMAIN}"
            users.append(
                User(
                    email=email,
                    username=email,
                    display_name=name,
                    languages=("ko-en" if local.endswith(".en") else "ko-zh")
                    if role == Role.INTERPRETER
                    else "",
                    password=password,
                    role=role,
                    language=lang,
                    timezone="Asia/Seoul",
                    is_staff=is_staff,
                    is_superuser=is_staff,
                )
            )
            result.logins.append((role.label, email, DEMO_PASSWORD))
        User.objects.bulk_create(users, batch_size=2000)

        say("building the search index")
        from bizweek.expo.search import index_companies

        index_companies()

        say("writing the studio shows and their rundowns")
        approved_sellers = [c for c in companies if c.role == CompanyRole.SELLER][:seller_count]
        approved_buyers = [c for c in companies if c.role == CompanyRole.BUYER]
        featured = rng.sample(approved_sellers, min(FEATURED_SELLERS, len(approved_sellers)))
        host = User.objects.get(email=f"host@{DEMO_DOMAIN}")
        _shows(event, list(sectors.values()), featured, host)

        say("writing meeting days, requests and meetings")
        from .matching import build_matching

        result.matching = build_matching(
            event,
            approved_sellers,
            approved_buyers,
            rng,
            scale,
            first_pair=(approved_sellers[0], approved_buyers[0]),
        )

    result.sellers, result.buyers = seller_count, buyer_count
    result.pending = len(pending)
    result.products, result.users = len(products), len(users)
    seller_email, buyer_email = sellers[0]["contact_email"], buyers[0]["contact_email"]
    result.logins[1:1] = [
        (str(Role.EXHIBITOR.label), seller_email, DEMO_PASSWORD),
        (str(Role.BUYER.label), buyer_email, DEMO_PASSWORD),
    ]
    return result
