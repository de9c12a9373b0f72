"""Company pages: registration, profile, editing, members, the organizer's review and import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bizweek.events.services import current_event
from bizweek.matching.services import mark_of

from . import services
from .forms import CompanyForm, ImportForm, MemberForm, RegistrationForm, RejectForm
from .models import Company, CompanyRole, ImportJob


def hs_search(request: HttpRequest) -> JsonResponse:
    """The HS picker's suggestions (public: the taxonomy is public data), in the reader's language.

    `q` searches codes and names in every language; `codes` returns the names of given codes.
    """
    language = get_language() or "en"
    if "codes" in request.GET:
        codes = request.GET["codes"].replace(",", " ").split()[:50]
        return JsonResponse({"items": services.hs_labels(codes, language)})
    query = request.GET.get("q", "").strip()[:100]
    items = services.search_hs(query, language) if query else []
    return JsonResponse({"items": items})


def register(request: HttpRequest) -> HttpResponse:
    event = current_event(request)
    closed = event is not None and not event.registration_is_open()
    if request.method == "POST" and not closed:
        form = RegistrationForm(request.POST)
        if form.is_valid():
            # The same answer whether or not the address already has an account (its owner
            # is mailed instead): registration must not reveal who has an account.
            services.register_company(
                form.company_data(),
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                language=form.cleaned_data["language"],
            )
            return redirect("companies:registered")
    else:
        role = request.GET.get("role")
        initial = {
            "language": _content_language(),
            "role": role if role in CompanyRole.values else "",
        }
        form = RegistrationForm(initial=initial)
    return render(
        request,
        "companies/register.html",
        {"form": form, "closed": closed},
    )


def registered(request: HttpRequest) -> HttpResponse:
    """After registering: check your inbox (the link there confirms the address)."""
    return render(request, "companies/registered.html")


def _content_language() -> str:
    language = get_language() or "en"
    return language if language in {"ko", "zh-hans", "zh-hant", "en"} else "en"


def company_list(request: HttpRequest) -> HttpResponse:
    """The directory of every company is the hall with both roles (one search engine)."""
    params = request.GET.copy()
    params.setdefault("role", "all")
    return redirect(reverse("expo:hall") + "?" + params.urlencode())


def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(
        Company.objects.prefetch_related("sectors", "hs_codes", "products__hs_code"), pk=pk
    )
    if not request.user.has_perm("companies.view_company", company):
        raise PermissionDenied(_("This company is not public yet."))
    if company.is_seller and company.is_approved:
        return redirect("expo:booth", pk=company.pk)
    return render(
        request,
        "companies/detail.html",
        {
            "company": company,
            "can_edit": request.user.has_perm("companies.change_company", company),
            "contacts": (contacts := services.contacts_for(request.user, company)),
            "can_see_contacts": contacts == "shown",
            "current_mark": mark_of(request.user.company, company)
            if request.user.is_authenticated
            else "",
            "can_request": company.is_approved
            and request.user.is_authenticated
            and request.user.company is not None
            and request.user.company.role != company.role,
        },
    )


@login_required
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    if not request.user.has_perm("companies.change_company", company):
        raise PermissionDenied(_("You may only edit your own company."))
    allow_role = request.user.has_perm("companies.review_company", company)
    form = CompanyForm(request.POST or None, instance=company, allow_role=allow_role)
    if request.method == "POST" and form.is_valid():
        services.update_company(company, form.company_data(), by=request.user)
        messages.success(request, _("Your changes were saved."))
        return redirect("companies:detail", pk=company.pk)
    return render(
        request,
        "companies/edit.html",
        {"form": form, "company": company},
    )


@login_required
def company_members(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    if not request.user.has_perm("companies.add_member", company):
        raise PermissionDenied(_("You may only manage your own company's members."))
    form = MemberForm(request.POST or None, initial={"language": _content_language()})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_member(company, by=request.user, **form.cleaned_data)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("%(email)s was invited and will receive a link to set a password.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("companies:members", pk=company.pk)
    return render(
        request,
        "companies/members.html",
        {
            "company": company,
            "form": form,
            "members": company.members.order_by("date_joined"),
            "can_invite": company.is_approved or request.user.is_organizer,
        },
    )


def _require_organizer(request: HttpRequest) -> None:
    if not request.user.has_perm("companies.review_company"):
        raise PermissionDenied(_("Only organizers can see this page."))


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _require_organizer(request)
    return render(
        request,
        "companies/review_queue.html",
        {"companies": services.review_queue(), "reject_form": RejectForm()},
    )


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    services.approve_company(company, by=request.user)
    messages.success(request, _("%(name)s was approved.") % {"name": company})
    return redirect("companies:review_queue")


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        _require_organizer(request)
        messages.error(request, _("Please give the company a reason."))
        return redirect("companies:review_queue")
    services.reject_company(company, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("%(name)s was rejected.") % {"name": company})
    return redirect("companies:review_queue")


def _require_importer(request: HttpRequest) -> None:
    if not request.user.has_perm("companies.import_companies"):
        raise PermissionDenied(_("Only organizers can import companies."))


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    """The upload form; the import itself runs as a background job (see `companies.jobs`)."""
    from . import jobs

    _require_importer(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = jobs.start_import(
            request.user,
            form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            dry_run=form.cleaned_data["dry_run"],
            invite=form.cleaned_data["invite"],
        )
        return redirect("companies:import_job", pk=job.pk)
    return render(request, "companies/import.html", {"form": form, "jobs": jobs.recent_jobs()})


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: a progress bar while the worker runs, then its report."""
    from . import jobs

    _require_importer(request)
    job = get_object_or_404(ImportJob, pk=pk)
    return render(
        request,
        "companies/import_job.html",
        {"job": job, "progress": jobs.job_progress(job), "report": job.report},
    )


@login_required
def import_job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """The same figures as JSON, polled by the page's script."""
    from . import jobs

    _require_importer(request)
    job = get_object_or_404(ImportJob, pk=pk)
    response = JsonResponse(jobs.job_progress(job))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def contacts_view(request: HttpRequest) -> HttpResponse:
    """Organizer: company members who have not signed in yet; invite them (again)."""
    from . import contacts

    if not request.user.has_perm("companies.import_companies"):
        raise PermissionDenied(_("Only organizers can see this page."))
    waiting = contacts.not_signed_in()
    if request.method == "POST":
        chosen = waiting
        if request.POST.get("user"):
            chosen = waiting.filter(pk=request.POST.get("user"))
        count = contacts.invite(list(chosen[:5000]))
        messages.success(
            request,
            ngettext(
                "%(count)d invitation is being sent.",
                "%(count)d invitations are being sent.",
                count,
            )
            % {"count": count},
        )
        return redirect("companies:contacts")
    signed_in, members = contacts.signed_in_share()
    return render(
        request,
        "companies/contacts.html",
        {
            "waiting": waiting[:500],
            "count": waiting.count(),
            "signed_in": signed_in,
            "members": members,
        },
    )
