"""/api/v1/companies: the directory of approved companies (organizers see all)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from bizweek.companies import services
from bizweek.companies.models import Company, CompanyRole
from bizweek.expo import services as expo_services
from bizweek.expo.services import HallQuery, find_companies

from .pagination import BoundedPagination

router = Router(tags=["companies"])

LANGS = {"ko": "ko", "zh-hans": "zh_hans", "zh-hant": "zh_hant", "en": "en"}


def names(obj: object, field: str) -> dict[str, str]:
    """Every language's text of a translated field, keyed by language code."""
    return {lang: getattr(obj, f"{field}_{suffix}") or "" for lang, suffix in LANGS.items()}


def localized(obj: object, field: str, lang: str) -> str:
    """The field in `lang`, falling back as the pages do (MODELTRANSLATION_FALLBACK_LANGUAGES)."""
    with translation.override(lang):
        return getattr(obj, field) or ""


def request_lang(request: HttpRequest, requested: str = "") -> str:
    if requested in LANGS:
        return requested
    code = translation.get_language() or "en"
    return code if code in LANGS else "en"


class TranslatedName(Schema):
    code: str
    name: dict[str, str]


class CompanyOut(Schema):
    id: int
    external_id: str | None
    role: str
    status: str
    name: str = Field(description="The name in the requested language, with fallbacks.")
    names: dict[str, str] = Field(description="The name in every language (empty if absent).")
    country: str
    city: str
    timezone: str
    sectors: list[str]
    hs_codes: list[str]

    @staticmethod
    def resolve_name(obj: Company, context: dict) -> str:
        return localized(obj, "name", context["request"].api_lang)

    @staticmethod
    def resolve_names(obj: Company) -> dict[str, str]:
        return names(obj, "name")

    @staticmethod
    def resolve_sectors(obj: Company) -> list[str]:
        return [sector.code for sector in obj.sectors.all()]

    @staticmethod
    def resolve_hs_codes(obj: Company) -> list[str]:
        return [hs.code for hs in obj.hs_codes.all()]


class ProductOut(Schema):
    id: int
    external_id: str
    name: dict[str, str]
    description: dict[str, str]
    hs_code: str | None = Field(None, alias="hs_code_id")
    moq: int | None
    price_min: str | None
    price_max: str | None
    currency: str

    @staticmethod
    def resolve_name(obj: object) -> dict[str, str]:
        return names(obj, "name")

    @staticmethod
    def resolve_description(obj: object) -> dict[str, str]:
        return names(obj, "description")

    @staticmethod
    def resolve_price_min(obj: object) -> str | None:
        return None if obj.price_min is None else str(obj.price_min)

    @staticmethod
    def resolve_price_max(obj: object) -> str | None:
        return None if obj.price_max is None else str(obj.price_max)


class CompanyDetail(CompanyOut):
    description: dict[str, str]
    company_size: str
    markets: list[str]
    website: str
    contact_name: str | None = Field(
        None, description="Only for members of approved companies and organizers."
    )
    contact_email: str | None = None
    contact_phone: str | None = None
    sector_details: list[TranslatedName]
    hs_details: list[TranslatedName]
    products: list[ProductOut]

    @staticmethod
    def resolve_description(obj: Company) -> dict[str, str]:
        return names(obj, "description")

    @staticmethod
    def resolve_sector_details(obj: Company) -> list[dict]:
        return [{"code": s.code, "name": names(s, "name")} for s in obj.sectors.all()]

    @staticmethod
    def resolve_hs_details(obj: Company) -> list[dict]:
        return [{"code": hs.code, "name": names(hs, "name")} for hs in obj.hs_codes.all()]

    @staticmethod
    def resolve_products(obj: Company, context: dict) -> list:
        return list(expo_services.products_for(obj, context["request"].user))

    @staticmethod
    def _contact(obj: Company, context: dict, field: str) -> str | None:
        return getattr(obj, field) if getattr(context["request"], "api_contacts", False) else None

    @staticmethod
    def resolve_contact_name(obj: Company, context: dict) -> str | None:
        return CompanyDetail._contact(obj, context, "contact_name")

    @staticmethod
    def resolve_contact_email(obj: Company, context: dict) -> str | None:
        return CompanyDetail._contact(obj, context, "contact_email")

    @staticmethod
    def resolve_contact_phone(obj: Company, context: dict) -> str | None:
        return CompanyDetail._contact(obj, context, "contact_phone")


class CompanyFilters(Schema):
    q: str = Field("", description="Words in any language or script.")
    role: CompanyRole | None = None
    country: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="ISO 3166-1 alpha-2 code.")
    sector: str = Field("", description="Sector code, e.g. hydrogen-energy.")
    hs: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="HS code prefix.")
    lang: str = Field("", description="ko, zh-hans, zh-hant or en: the language of `name`.")


@router.get("", response=list[CompanyOut], summary="List companies")
@paginate(BoundedPagination)
def list_companies(request: HttpRequest, filters: Query[CompanyFilters]) -> QuerySet[Company]:
    """Approved companies (organizers see all), filtered: `{"items": [...], "count": N}`."""
    request.api_lang = request_lang(request, filters.lang)
    query = HallQuery(
        q=filters.q,
        role=filters.role or "all",
        country=filters.country,
        sector=filters.sector,
        hs=filters.hs,
    )
    companies, _scores = find_companies(query, request.user)
    return companies.prefetch_related("sectors", "hs_codes")


class ErrorOut(Schema):
    detail: object
    code: str


@router.get(
    "/{company_id}",
    response={200: CompanyDetail, 404: ErrorOut, 429: ErrorOut},
    summary="One company",
)
def get_company(
    request: HttpRequest,
    company_id: int = Path(..., ge=1, le=2**63 - 1),
    lang: str = "",
) -> Company:
    """One company, if its booth is public (or yours); contacts only for vetted participants,
    and at most `BIZWEEK_CONTACT_READS` companies' contacts per caller and window (429)."""
    request.api_lang = request_lang(request, lang)
    company = get_object_or_404(
        expo_services.visible_companies(request.user).prefetch_related("sectors", "hs_codes"),
        pk=company_id,
    )
    request.api_contacts = services.may_see_contacts(request.user, company)
    if (
        request.api_contacts
        and request.user.company_id != company.pk
        and not services.count_contact_read(request.user)
    ):
        raise HttpError(
            429, _("Too many companies read in a short time. Please try again in a few minutes.")
        )
    return company
