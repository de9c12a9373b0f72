from modeltranslation.translator import TranslationOptions, register

from .models import Company, HSCode, Sector


@register(Sector)
class SectorTranslation(TranslationOptions):
    fields = ("name",)


@register(HSCode)
class HSCodeTranslation(TranslationOptions):
    fields = ("name",)


@register(Company)
class CompanyTranslation(TranslationOptions):
    fields = ("name", "description")
