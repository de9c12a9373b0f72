"""Keep the event's agenda (home page, "on now", "coming up") in step with the shows."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bizweek.events.models import AgendaItem, AgendaKind

from .models import BroadcastSession, Category, SessionState

SYNCED_FIELDS = [
    f"{name}_{lang}"
    for name in ("title", "description")
    for lang in ("ko", "zh_hans", "zh_hant", "en")
]


@receiver(post_save, sender=BroadcastSession)
def _sync_agenda_item(sender: type, instance: BroadcastSession, **kwargs: object) -> None:
    if instance.state == SessionState.CANCELLED:
        # Off the agenda ("on now", "coming up", the host's home); back when it is restored.
        if instance.agenda_item_id:
            AgendaItem.objects.filter(pk=instance.agenda_item_id).delete()
            instance.agenda_item = None
        return
    item = instance.agenda_item or AgendaItem(event_id=instance.event_id)
    item.event_id = instance.event_id
    item.kind = (
        AgendaKind.CEREMONY if instance.category == Category.CEREMONY else AgendaKind.PR_SESSION
    )
    item.starts_at, item.ends_at = instance.starts_at, instance.ends_at
    for name in SYNCED_FIELDS:
        setattr(item, name, getattr(instance, name) or "")
    item.save()
    if instance.agenda_item_id != item.pk:
        BroadcastSession.objects.filter(pk=instance.pk).update(agenda_item=item)
        instance.agenda_item = item


@receiver(post_delete, sender=BroadcastSession)
def _drop_agenda_item(sender: type, instance: BroadcastSession, **kwargs: object) -> None:
    if instance.agenda_item_id:
        AgendaItem.objects.filter(pk=instance.agenda_item_id).delete()
