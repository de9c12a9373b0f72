"""Keep the search index in step with companies and products."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from bizweek.companies.models import Company
from bizweek.companies.signals import companies_changed

from . import search


@receiver(companies_changed)
def reindex(sender, company_ids: list[int], **kwargs) -> None:  # noqa: ANN001
    """Re-index inside the caller's transaction, so a rolled-back import leaves no trace."""
    search.index_companies(company_ids)


@receiver(post_delete, sender=Company)
def unindex(sender, instance: Company, **kwargs) -> None:  # noqa: ANN001
    """The FTS5 table has no foreign key: drop a deleted company's row by hand."""
    search.remove_companies([instance.pk])
