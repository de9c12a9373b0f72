"""/api/v1/companies/{id}/recommendations: whom a company should meet, and why.

Only the company's own members and organizers may read a company's list: it reveals the
company's marks and who marked it.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from bizweek.companies.models import Company
from bizweek.recommend.services import recommend

from .auth import session_auth, token_auth
from .companies import localized, request_lang

router = Router(tags=["recommendations"], auth=[token_auth, session_auth])

MAX_LIMIT = 50


class ReasonOut(Schema):
    code: str = Field(
        description="hs_subheading, hs_heading, hs_chapter, hs_inferred, sector, text, market "
        "or mark."
    )
    text: str = Field(description="The reason in the requested language.")


class RecommendationOut(Schema):
    id: int
    external_id: str | None
    name: str = Field(description="The name in the requested language, with fallbacks.")
    role: str
    country: str
    score: float = Field(description="0..1; both sides' interest combined.")
    reasons: list[ReasonOut]


class RecommendationsOut(Schema):
    items: list[RecommendationOut]
    count: int


class RecommendationsQuery(Schema):
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    lang: str = Field("", description="ko, zh-hans, zh-hant or en (default: the request's).")


@router.get(
    "/companies/{company_id}/recommendations",
    response=RecommendationsOut,
    summary="Counterparts this company should meet",
)
def company_recommendations(
    request: HttpRequest, company_id: int, query: Query[RecommendationsQuery]
) -> dict:
    """Best first; pairs marked "No thanks" or already requested are left out."""
    company = get_object_or_404(Company, pk=company_id)
    user = request.user
    if not (user.is_organizer or (user.company_id is not None and user.company_id == company.pk)):
        raise PermissionDenied(_("Only the company's own members can see its recommendations."))
    lang = request_lang(request, query.lang)
    items = [
        {
            "id": item.company.pk,
            "external_id": item.company.external_id,
            "name": localized(item.company, "name", lang),
            "role": item.company.role,
            "country": item.company.country,
            "score": item.score,
            "reasons": item.reasons,
        }
        for item in recommend(company, query.limit, language=lang)
    ]
    return {"items": items, "count": len(items)}
