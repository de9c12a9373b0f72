from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "target_label"]
    list_filter = ["action"]
    search_fields = ["actor_label", "target_label"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
