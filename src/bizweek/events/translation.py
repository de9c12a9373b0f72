from modeltranslation.translator import TranslationOptions, register

from .models import AgendaItem, Event


@register(Event)
class EventTranslation(TranslationOptions):
    fields = ("name", "tagline", "description", "organizer_name")


@register(AgendaItem)
class AgendaItemTranslation(TranslationOptions):
    fields = ("title", "description")
