from django.contrib import admin
from modeltranslation.admin import TabbedTranslationAdmin

from .models import Product


@admin.register(Product)
class ProductAdmin(TabbedTranslationAdmin):
    list_display = ["name", "company", "hs_code", "moq", "price_min", "price_max", "currency"]
    search_fields = ["name_ko", "name_zh_hans", "name_en", "external_id"]
    raw_id_fields = ["company"]
    autocomplete_fields = ["hs_code"]
