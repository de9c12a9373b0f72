from django.contrib import admin
from modeltranslation.admin import TabbedTranslationAdmin, TranslationTabularInline

from .models import AgendaItem, Event


class AgendaInline(TranslationTabularInline):
    model = AgendaItem
    extra = 0


@admin.register(Event)
class EventAdmin(TabbedTranslationAdmin):
    list_display = ["name", "slug", "starts_at", "ends_at", "matching_ends_at", "is_current"]
    inlines = [AgendaInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(TabbedTranslationAdmin):
    list_display = ["title", "kind", "starts_at", "ends_at", "event"]
    list_filter = ["kind", "event"]
