"""The organizer's fallback for every company field (the pages cover daily work)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin

from . import services
from .models import Company, HSCode, Sector


@admin.register(Sector)
class SectorAdmin(TabbedTranslationAdmin):
    list_display = ["code", "name", "position"]


@admin.register(HSCode)
class HSCodeAdmin(TabbedTranslationAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name_en", "name_ko", "name_zh_hans", "name_zh_hant"]
    raw_id_fields = ["parent"]


@admin.register(Company)
class CompanyAdmin(TabbedTranslationAdmin):
    list_display = ["__str__", "role", "status", "country", "city", "external_id", "created_at"]
    list_filter = ["role", "status", "country", "sectors"]
    search_fields = ["external_id", "name_ko", "name_zh_hans", "name_zh_hant", "name_en"]
    filter_horizontal = ["sectors"]
    autocomplete_fields = ["hs_codes"]
    readonly_fields = ["reviewed_at", "reviewed_by", "created_at", "updated_at"]
    actions = ["approve_selected"]

    @admin.action(description=_("Approve selected companies"))
    def approve_selected(self, request, queryset) -> None:  # noqa: ANN001
        for company in queryset.exclude(status="approved"):
            services.approve_company(company, by=request.user)
