"""Signals other apps listen to, so companies never imports them (the hall re-indexes search)."""

from django.dispatch import Signal

# Sent with `company_ids` (a list) after companies were created, changed or imported.
companies_changed = Signal()
