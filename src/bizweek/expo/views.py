"""Hall, booth, product and booth-editor pages."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bizweek.companies import services as company_services
from bizweek.companies.models import Company, CompanyRole, HSCode, Sector

from . import booth_cache, search, services, visits
from .forms import BrochureForm, ImageUploadForm, ProductForm, VideoUploadForm
from .models import Brochure, Product, ProductPhoto

PAGE_SIZE = 24


def hall(request: HttpRequest, sector: str | None = None) -> HttpResponse:
    query = services.HallQuery.from_params(request.GET, sector=sector)
    companies, _scores = services.find_companies(query, request.user)
    page = Paginator(
        companies.select_related("booth").prefetch_related("sectors"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    products = _top_products([c.pk for c in page])
    cards = [
        {
            "company": company,
            "products": products.get(company.pk, []),
            "snippet": _snippet(company, products.get(company.pk, []), query.q),
        }
        for company in page
    ]
    current_sector = Sector.objects.filter(code=query.sector).first() if query.sector else None
    return render(
        request,
        "expo/hall.html",
        {
            "query": query,
            "page": page,
            "cards": cards,
            "halls": services.hall_overview(request.user),
            "current_sector": current_sector,
            "chapters": HSCode.objects.filter(code__regex=r"^\d{2}$"),
            "sorts": [
                ("featured", _("Featured first")),
                ("name", _("Name")),
                ("newest", _("Newest")),
                ("products", _("Most products")),
            ],
            "roles": [("seller", _("Exhibitors")), ("buyer", _("Buyers")), ("all", _("All"))],
        },
    )


def _top_products(company_ids: list[int], per_company: int = 3) -> dict[int, list[Product]]:
    result: dict[int, list[Product]] = {}
    qs = (
        Product.objects.filter(company_id__in=company_ids, is_published=True)
        .select_related("hs_code")
        .prefetch_related("photos")
        .order_by("company_id", "position", "id")
    )
    for product in qs:
        bucket = result.setdefault(product.company_id, [])
        if len(bucket) < per_company:
            bucket.append(product)
    return result


def _snippet(company: Company, products: list[Product], q: str) -> str:
    """Why a company matched: the first of its texts (in the reader's language) with the query."""
    if not q:
        return ""
    candidates = [company.description, *[p.name for p in products]]
    candidates += [str(hs.name) for hs in company.hs_codes.all()]
    candidates += [p.hs_code.name for p in products if p.hs_code]
    for text in candidates:
        if text and search.matches(text, q):
            return search.snippet(text, q)
    return ""


def _company_or_404(pk: int) -> Company:
    return get_object_or_404(
        Company.objects.select_related("booth").prefetch_related("sectors", "hs_codes"), pk=pk
    )


def booth(request: HttpRequest, pk: int) -> HttpResponse:
    """A booth page. Who may see it, and the visit, always come from fresh rows; the content
    comes from the cache (booth_cache.py): the whole page for anonymous visitors, the parts
    shared by everyone for signed-in ones."""
    state = None
    if booth_cache.page_is_cacheable(request):
        state = booth_cache.booth_state(pk)
        html = booth_cache.cached_page(request, state) if state is not None else None
        if html is not None:  # a public booth: anyone may see it
            visits.record_visit(pk, request)
            return HttpResponse(html)
    company = get_object_or_404(Company.objects.select_related("booth"), pk=pk)
    if company.role != CompanyRole.SELLER:
        return redirect("companies:detail", pk=pk)
    if not request.user.has_perm("expo.view_booth", company):
        raise PermissionDenied(_("This booth is not open to visitors yet."))
    can_edit = request.user.has_perm("expo.change_booth", company)
    preview = can_edit and request.GET.get("preview") == "1"
    booth_obj = getattr(company, "booth", None)
    if not preview:
        visits.record_visit(company.pk, request)
    if state is not None:
        return HttpResponse(
            booth_cache.store_page(
                request,
                state,
                lambda csrf_token: _render_booth(
                    request, company, booth_obj, can_edit=False, preview=False, csrf=csrf_token
                ),
            )
        )
    return HttpResponse(
        _render_booth(request, company, booth_obj, can_edit=can_edit, preview=preview)
    )


def _render_booth(
    request: HttpRequest,
    company: Company,
    booth_obj: object,
    *,
    can_edit: bool,
    preview: bool,
    csrf: str | None = None,
) -> str:
    parts = booth_cache.booth_parts(company, booth_obj, preview=preview)
    can_request = _can_request(request, company)
    context = {
        "company": company,
        "booth": booth_obj,
        "parts": parts,
        "can_edit": can_edit,
        "preview": preview,
        "share_url": request.build_absolute_uri(reverse("expo:booth", args=[company.pk])),
        "og_image": request.build_absolute_uri(parts["og_image"]) if parts["og_image"] else "",
        "can_request": can_request,
        "current_mark": _mark(request, company) if can_request else "",
        "can_see_contacts": (see := company_services.contacts_for(request.user, company)),
        "members": company.members.filter(is_active=True) if see else [],
    }
    if csrf is not None:  # a placeholder the cached page swaps for each visitor's token
        context["csrf_token"] = csrf
    return render_to_string("expo/booth.html", context, request=request)


def _mark(request: HttpRequest, company: Company) -> str:
    from bizweek.matching.services import mark_of

    return (
        mark_of(getattr(request.user, "company", None), company)
        if _can_request(request, company)
        else ""
    )


def _can_request(request: HttpRequest, company: Company) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.company_id and user.company_id != company.pk)


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(
        Product.objects.select_related("company", "hs_code").prefetch_related("photos"), pk=pk
    )
    company = product.company
    can_edit = request.user.has_perm("expo.change_booth", company)
    if not request.user.has_perm("expo.view_booth", company) or (
        not product.is_published and not can_edit
    ):
        raise PermissionDenied(_("This product is not open to visitors yet."))
    photos = list(product.photos.all())
    return render(
        request,
        "expo/product.html",
        {
            "product": product,
            "company": company,
            "photos": photos,
            "share_url": request.build_absolute_uri(reverse("expo:product", args=[pk])),
            "og_image": request.build_absolute_uri(photos[0].image.url) if photos else "",
            "can_request": _can_request(request, company),
        },
    )


def qr_code(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """An SVG QR code of a booth's or product's share link, for print and for phones."""
    if kind == "booth":
        company = get_object_or_404(Company, pk=pk)
        url = reverse("expo:booth", args=[pk])
    else:
        product = get_object_or_404(Product.objects.select_related("company"), pk=pk)
        company, url = product.company, reverse("expo:product", args=[pk])
    if not request.user.has_perm("expo.view_booth", company):
        raise PermissionDenied
    response = HttpResponse(content_type="image/svg+xml")
    segno.make(request.build_absolute_uri(url), error="m").save(
        response, kind="svg", scale=5, border=2, xmldecl=False
    )
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- booth editor --------------------------------------------------------------------------


def _editable_company(request: HttpRequest, pk: int) -> Company:
    company = _company_or_404(pk)
    if not request.user.has_perm("expo.change_booth", company):
        raise PermissionDenied(_("You may only edit your own booth."))
    return company


@login_required
def booth_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    booth_obj = services.booth_for(company)
    products = list(services.visible_products(company, preview=True))
    missing = {p.pk: _missing_languages(p) for p in products}
    return render(
        request,
        "expo/booth_edit.html",
        {
            "company": company,
            "booth": booth_obj,
            "products": [(p, missing[p.pk]) for p in products],
            "brochures": company.brochures.all(),
            "image_form": ImageUploadForm(),
            "video_form": VideoUploadForm(),
            "brochure_form": BrochureForm(),
            "can_feature": request.user.has_perm("expo.feature_booth", company),
        },
    )


def _missing_languages(product: Product) -> list[str]:
    from .forms import ENDONYMS, LANG_SUFFIXES

    return [
        ENDONYMS[s]
        for s in LANG_SUFFIXES
        if not getattr(product, f"name_{s}") and f"name_{s}" not in (product.chinese_derived or [])
    ]


def _upload_error(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_POST
def booth_upload(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Logo, banner or video: checked by content; a refused file changes nothing."""
    company = _editable_company(request, pk)
    try:
        if field in {"logo", "banner"}:
            form = ImageUploadForm(request.POST, request.FILES)
            if form.is_valid():
                services.set_booth_image(
                    company, field, form.cleaned_data["image"], by=request.user
                )
        elif field == "video":
            form = VideoUploadForm(request.POST, request.FILES)
            if form.is_valid():
                services.set_booth_video(company, form.cleaned_data["video"], by=request.user)
        else:
            raise PermissionDenied
    except ValidationError as error:
        _upload_error(request, error)
    else:
        if form.is_valid():
            messages.success(request, _("The file was uploaded."))
        else:
            messages.error(request, _("Choose a file to upload."))
    return redirect("expo:booth_edit", pk=pk)


@login_required
@require_POST
def booth_clear(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    company = _editable_company(request, pk)
    if field not in {"logo", "banner", "video"}:
        raise PermissionDenied
    services.clear_booth_file(company, field, by=request.user)
    return redirect("expo:booth_edit", pk=pk)


@login_required
@require_POST
def booth_publish(request: HttpRequest, pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    published = request.POST.get("published") == "1"
    services.set_publication(company, published=published, by=request.user)
    messages.success(
        request, _("Your booth is open to visitors.") if published else _("Your booth is hidden.")
    )
    return redirect("expo:booth_edit", pk=pk)


@login_required
@require_POST
def booth_feature(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company_or_404(pk)
    services.set_featured(company, featured=request.POST.get("featured") == "1", by=request.user)
    return redirect("expo:booth_edit", pk=pk)


@login_required
def product_edit(request: HttpRequest, pk: int, product_pk: int | None = None) -> HttpResponse:
    company = _editable_company(request, pk)
    product = (
        get_object_or_404(Product, pk=product_pk, company=company)
        if product_pk
        else Product(company=company)
    )
    form = ProductForm(request.POST or None, instance=product)
    photo_form = ImageUploadForm(request.POST or None, request.FILES or None)
    photo_form.fields["image"].required = False  # a product may be saved without a photo
    if request.method == "POST" and form.is_valid():
        try:
            product = services.save_product(
                company, form.save(commit=False), by=request.user, written=form.written_fields()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            upload = request.FILES.get("image")
            if upload:
                try:
                    services.add_photo(product, upload, by=request.user)
                except ValidationError as error:
                    _upload_error(request, error)
                    return redirect("expo:product_edit", pk=pk, product_pk=product.pk)
            messages.success(request, _("The product was saved."))
            return redirect("expo:product_edit", pk=pk, product_pk=product.pk)
    return render(
        request,
        "expo/product_form.html",
        {
            "company": company,
            "product": product if product.pk else None,
            "form": form,
            "photo_form": photo_form,
            "photos": product.photos.all() if product.pk else [],
        },
    )


@login_required
@require_POST
def product_delete(request: HttpRequest, pk: int, product_pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    product = get_object_or_404(Product, pk=product_pk, company=company)
    services.delete_product(product, by=request.user)
    messages.success(request, _("The product was deleted."))
    return redirect("expo:booth_edit", pk=pk)


@login_required
@require_POST
def product_move(request: HttpRequest, pk: int, product_pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    product = get_object_or_404(Product, pk=product_pk, company=company)
    services.move_product(
        product, -1 if request.POST.get("direction") == "up" else 1, by=request.user
    )
    return redirect(reverse("expo:booth_edit", args=[pk]) + "#products")


@login_required
@require_POST
def photo_delete(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    photo = get_object_or_404(ProductPhoto, pk=photo_pk, product__company=company)
    product_pk = photo.product_id
    services.delete_photo(photo, by=request.user)
    return redirect("expo:product_edit", pk=pk, product_pk=product_pk)


@login_required
@require_POST
def brochure_add(request: HttpRequest, pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    form = BrochureForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("expo:booth_edit", pk=pk)
    try:
        services.add_brochure(
            company, form.cleaned_data["title"], form.cleaned_data["file"], by=request.user
        )
    except ValidationError as error:
        _upload_error(request, error)
    else:
        messages.success(request, _("The brochure was added."))
    return redirect("expo:booth_edit", pk=pk)


@login_required
@require_POST
def brochure_delete(request: HttpRequest, pk: int, brochure_pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    brochure = get_object_or_404(Brochure, pk=brochure_pk, company=company)
    services.delete_brochure(brochure, by=request.user)
    return redirect("expo:booth_edit", pk=pk)


@login_required
def booth_stats(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company_or_404(pk)
    stats = services.visit_stats(company, by=request.user)
    return render(request, "expo/stats.html", {"company": company, "stats": stats})


@login_required
def all_stats(request: HttpRequest) -> HttpResponse:
    stats = services.visit_stats(None, by=request.user)
    return render(request, "expo/stats.html", {"company": None, "stats": stats})
