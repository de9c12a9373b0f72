"""The exhibition hall: finding booths, editing them, and counting their visitors.

Pages, the API and `bizweek search` call these functions; permission checks live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from bizweek.accounts.models import User
from bizweek.companies import services as company_services
from bizweek.companies.models import Company, CompanyRole
from bizweek.companies.signals import companies_changed

from . import search
from . import visits as visits_module
from .booth_cache import touch_booths
from .models import Booth, BoothVisit, Brochure, Product, ProductPhoto

FEATURED_FIRST = F("booth__featured").desc(nulls_last=True)  # no booth row yet = not featured
SORTS = {
    "featured": (FEATURED_FIRST, "id"),
    "name": ("name_ko", "name_en", "id"),
    "newest": ("-created_at",),
    "products": ("-product_count", "id"),
}


@dataclass
class HallQuery:
    q: str = ""
    role: str = CompanyRole.SELLER
    sector: str = ""
    hs: str = ""
    country: str = ""
    city: str = ""
    sort: str = ""

    @classmethod
    def from_params(cls, params: Any, **overrides: str) -> HallQuery:
        values = {name: (params.get(name) or "").strip() for name in cls.__dataclass_fields__}
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["role"] not in CompanyRole.values and values["role"] != "all":
            values["role"] = CompanyRole.SELLER
        return cls(**values)


class RankedCompanies:
    """Search results in rank order, fetched one page at a time.

    Quacks like the part of a QuerySet that paginators use (count, all, slicing,
    select_related, prefetch_related), so pages never need a giant SQL CASE or IN list.
    """

    def __init__(self, base: QuerySet[Company], ids: list[int]) -> None:
        self.base = base
        self.ids = ids

    def all(self) -> RankedCompanies:
        return self

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self):
        return iter(self[0 : len(self.ids)])

    def __getitem__(self, item: int | slice):
        if isinstance(item, int):
            return self[item : item + 1][0]
        wanted = self.ids[item]
        found = self.base.in_bulk(wanted)
        return [found[pk] for pk in wanted if pk in found]

    def select_related(self, *fields: str) -> RankedCompanies:
        return RankedCompanies(self.base.select_related(*fields), self.ids)

    def prefetch_related(self, *lookups: str) -> RankedCompanies:
        return RankedCompanies(self.base.prefetch_related(*lookups), self.ids)


def find_companies(
    query: HallQuery, user: User | None = None
) -> tuple[QuerySet[Company] | RankedCompanies, dict[int, float]]:
    """Companies matching the query, best first when searching, else in the chosen order.

    Returns the queryset and, when searching, each company's score.
    """
    qs = visible_companies(user)
    qs = company_services.filter_companies(
        qs,
        role="" if query.role == "all" else query.role,
        country=query.country,
        sector=query.sector,
        hs=query.hs,
    )
    if query.city:
        qs = qs.filter(city__iexact=query.city)
    scores: dict[int, float] = {}
    if query.q:
        ranked = search.ranked_ids(query.q)
        scores = dict(ranked)
        allowed = _ids(qs)
        ids = [pk for pk, _score in ranked if pk in allowed]
        if not query.sort:
            featured = _ids(Booth.objects.filter(featured=True), "company_id")
            ids.sort(key=lambda pk: pk not in featured)  # stable: rank order within each part
            return RankedCompanies(Company.objects.all(), ids), scores
        qs = qs.filter(pk__in=ids)
    sort = query.sort if query.sort in SORTS else "featured"
    if sort == "products":
        qs = qs.annotate(product_count=Count("products", filter=Q(products__is_published=True)))
    return qs.order_by(*SORTS[sort]), scores


def visible_companies(user: User | None = None) -> QuerySet[Company]:
    """The one visibility rule for companies, used by pages, the API, search and the CLI.

    The queryset form of the `expo.view_booth` rule: organizers see every company; others see
    approved companies whose booth is not unpublished, and their own company whatever its state.
    """
    qs = company_services.visible_companies(user)
    if user is not None and user.is_authenticated and user.is_organizer:
        return qs
    hidden = Q(booth__is_published=False)
    if user is not None and user.is_authenticated and user.company_id:
        hidden &= ~Q(pk=user.company_id)
    return qs.exclude(hidden)


def products_for(company: Company, user: User | None) -> QuerySet[Product]:
    """A company's products as `user` may see them: drafts only for its members and organizers."""
    preview = user is not None and user.has_perm("expo.change_booth", company)
    return visible_products(company, preview=preview)


def _ids(qs: QuerySet, field: str = "pk") -> set[int]:
    """The ids a queryset selects, read straight from the cursor: thousands of rows without
    building a model (or a modeltranslation wrapper) for each."""
    sql, params = qs.values(field).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def hall_overview(user: User | None = None) -> list[dict]:
    """Each sector's hall with its number of exhibitors."""
    from bizweek.companies.models import Sector

    visible = visible_companies(user).filter(role=CompanyRole.SELLER)
    counts = dict(
        visible.order_by()  # the model's default ordering would split the groups
        .values("sectors")
        .annotate(n=Count("pk", distinct=True))
        .values_list("sectors", "n")
    )
    return [
        {"sector": sector, "count": counts.get(sector.pk, 0)} for sector in Sector.objects.all()
    ]


def booth_for(company: Company) -> Booth:
    booth, _created = Booth.objects.get_or_create(company=company)
    return booth


def _require_change(user: User, company: Company) -> None:
    if not user.has_perm("expo.change_booth", company):
        raise PermissionDenied(_("You may only edit your own booth."))


def visible_products(company: Company, *, preview: bool = False) -> QuerySet[Product]:
    qs = company.products.select_related("hs_code").prefetch_related("photos")
    return qs if preview else qs.filter(is_published=True)


@transaction.atomic
def save_product(company: Company, product: Product, *, by: User, written: set[str]) -> Product:
    """Create or update a product; `written` names the translation fields a person edited."""
    _require_change(by, company)
    if product.company_id != company.pk:
        raise PermissionDenied(_("This product belongs to another company."))
    if product.pk is None:
        last = company.products.aggregate(m=Max("position"))["m"]
        product.position = (last or 0) + 1
    product.mark_written(written)
    product.full_clean()
    product.save()
    companies_changed.send(Company, company_ids=[company.pk])
    return product


@transaction.atomic
def delete_product(product: Product, *, by: User) -> None:
    _require_change(by, product.company)
    company_id = product.company_id
    for photo in product.photos.all():
        delete_photo(photo, by=by, reindex=False)
    product.delete()
    companies_changed.send(Company, company_ids=[company_id])


@transaction.atomic
def move_product(product: Product, direction: int, *, by: User) -> None:
    """Swap a product with its neighbour (direction -1 = up, +1 = down)."""
    _require_change(by, product.company)
    siblings = list(product.company.products.order_by("position", "id"))
    index = siblings.index(product)
    target = index + direction
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, item in enumerate(siblings, start=1):
        if item.position != position:
            Product.objects.filter(pk=item.pk).update(position=position)
    touch_booths([product.company_id])  # update() sends no signal


def add_photo(product: Product, upload: Any, *, by: User) -> ProductPhoto:
    from .uploads import clean_image, random_name

    _require_change(by, product.company)
    image = clean_image(upload)
    photo = ProductPhoto(product=product, width=image.width, height=image.height)
    photo.position = (product.photos.aggregate(m=Max("position"))["m"] or 0) + 1
    photo.image.save(random_name(image.extension), image.content, save=False)
    photo.thumbnail.save(random_name(image.extension), image.thumbnail, save=False)
    photo.save()
    return photo


def delete_photo(photo: ProductPhoto, *, by: User, reindex: bool = True) -> None:
    _require_change(by, photo.product.company)
    photo.image.delete(save=False)
    photo.thumbnail.delete(save=False)
    photo.delete()


def set_booth_image(company: Company, field: str, upload: Any, *, by: User) -> Booth:
    """Logo or banner: re-encoded without metadata, stored under a random name."""
    from .uploads import clean_image, random_name

    _require_change(by, company)
    if field not in {"logo", "banner"}:
        raise ValueError(field)
    image = clean_image(upload)
    booth = booth_for(company)
    getattr(booth, field).delete(save=False)
    getattr(booth, field).save(random_name(image.extension), image.content, save=True)
    return booth


def set_booth_video(company: Company, upload: Any, *, by: User) -> Booth:
    from .uploads import clean_video, random_name

    _require_change(by, company)
    info = clean_video(upload)
    booth = booth_for(company)
    booth.video.delete(save=False)
    upload.seek(0)
    booth.video.save(random_name("." + info.container), upload, save=True)
    return booth


def clear_booth_file(company: Company, field: str, *, by: User) -> None:
    _require_change(by, company)
    if field not in {"logo", "banner", "video"}:
        raise ValueError(field)
    booth = booth_for(company)
    getattr(booth, field).delete(save=True)


def add_brochure(company: Company, title: str, upload: Any, *, by: User) -> Brochure:
    from .uploads import clean_pdf, random_name

    _require_change(by, company)
    pages = clean_pdf(upload)
    upload.seek(0)
    brochure = Brochure(company=company, title=title, pages=pages, size=upload.size or 0)
    brochure.position = (company.brochures.aggregate(m=Max("position"))["m"] or 0) + 1
    brochure.file.save(random_name(".pdf"), upload, save=True)
    return brochure


def delete_brochure(brochure: Brochure, *, by: User) -> None:
    _require_change(by, brochure.company)
    brochure.file.delete(save=False)
    brochure.delete()


def set_publication(company: Company, *, published: bool, by: User) -> Booth:
    _require_change(by, company)
    booth = booth_for(company)
    booth.is_published = published
    booth.save(update_fields=["is_published", "updated_at"])
    return booth


def set_featured(company: Company, *, featured: bool, by: User) -> Booth:
    if not by.has_perm("expo.feature_booth", company):
        raise PermissionDenied(_("Only organizers can feature booths."))
    booth = booth_for(company)
    booth.featured = featured
    booth.save(update_fields=["featured", "updated_at"])
    return booth


# --- visitor analytics ---------------------------------------------------------------------


def visit_stats(company: Company | None, *, by: User, days: int = 14) -> dict:
    """Unique visitors per day, by country and by role, for one booth or (organizers) all."""
    visits_module.flush()  # this process's visits of the last second too
    if company is None:
        if not by.has_perm("expo.view_all_stats"):
            raise PermissionDenied(_("Only organizers can see every booth's visitors."))
        visits = BoothVisit.objects.all()
    else:
        if not by.has_perm("expo.view_booth_stats", company):
            raise PermissionDenied(_("You may only see your own booth's visitors."))
        visits = BoothVisit.objects.filter(company=company)
    since = visits_module.visit_day() - timedelta(days=days - 1)
    recent = visits.filter(day__gte=since)
    per_day = dict(recent.values_list("day").annotate(n=Count("pk")).values_list("day", "n"))
    daily = [
        (since + timedelta(days=i), per_day.get(since + timedelta(days=i), 0)) for i in range(days)
    ]
    peak = max((n for _day, n in daily), default=0)
    by_country = list(
        visits.exclude(country="").values("country").annotate(n=Count("pk")).order_by("-n")[:15]
    )
    by_role = list(visits.values("role").annotate(n=Count("pk")).order_by("-n"))
    top = []
    if company is None:
        top = list(
            visits.values("company", "company__name_ko", "company__name_en")
            .annotate(n=Count("pk"))
            .order_by("-n")[:20]
        )
    totals = visits.aggregate(unique=Count("pk"), views=Sum("views"))
    return {
        "daily": [(day, n, round(100 * n / peak) if peak else 0) for day, n in daily],
        "by_country": by_country,
        "by_role": by_role,
        "top": top,
        "unique": totals["unique"] or 0,
        "views": totals["views"] or 0,
        "today": per_day.get(visits_module.visit_day(), 0),
    }


def check_shared_file(upload: Any) -> tuple[str, Any, str]:
    """A file shared in a meeting room, checked like booth uploads: a PDF that opens, or a
    picture re-encoded to its pixels. Returns (kind, content to store, extension)."""
    from .uploads import clean_image, clean_pdf

    name = (getattr(upload, "name", "") or "").lower()
    if name.endswith(".pdf") or getattr(upload, "content_type", "") == "application/pdf":
        clean_pdf(upload)
        upload.seek(0)
        return "pdf", upload, ".pdf"
    image = clean_image(upload)
    return "image", image.content, image.extension
