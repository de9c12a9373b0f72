from django.contrib import admin
from modeltranslation.admin import TabbedTranslationAdmin

from .models import BroadcastSession, ChatMessage, RundownItem


class RundownInline(admin.TabularInline):
    model = RundownItem
    extra = 0
    autocomplete_fields = ["company"]
    raw_id_fields = ["products"]


@admin.register(BroadcastSession)
class BroadcastSessionAdmin(TabbedTranslationAdmin):
    list_display = ["title", "category", "starts_at", "ends_at", "host", "state"]
    list_filter = ["category", "state"]
    inlines = [RundownInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["session", "sender_name", "company_name", "text", "hidden", "created_at"]
    list_filter = ["hidden"]
