"""Keep the search index in step with companies and products."""

from __future__ import annotations

from django.dispatch import receiver

from bizweek.companies.signals import companies_changed

from . import search


@receiver(companies_changed)
def reindex(sender, company_ids: list[int], **kwargs) -> None:  # noqa: ANN001
    """Re-index inside the caller's transaction, so a rolled-back import leaves no trace."""
    search.index_companies(company_ids)
