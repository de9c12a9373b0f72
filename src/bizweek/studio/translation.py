from modeltranslation.translator import TranslationOptions, register

from .models import BroadcastSession


@register(BroadcastSession)
class BroadcastSessionTranslation(TranslationOptions):
    fields = ("title", "description")
