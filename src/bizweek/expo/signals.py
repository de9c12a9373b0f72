"""Keep the search index and the booth-page cache in step with companies and products."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from bizweek.companies.models import Company
from bizweek.companies.signals import companies_changed

from . import search
from .booth_cache import touch_booths
from .models import Brochure, Product, ProductPhoto


@receiver(companies_changed)
def reindex(sender, company_ids: list[int], **kwargs) -> None:  # noqa: ANN001
    """Re-index inside the caller's transaction, so a rolled-back import leaves no trace."""
    search.index_companies(company_ids)
    # Imports write with bulk_create/bulk_update, which leave updated_at alone: new version.
    touch_booths(company_ids)


@receiver(post_delete, sender=Company)
def unindex(sender, instance: Company, **kwargs) -> None:  # noqa: ANN001
    """The FTS5 table has no foreign key: drop a deleted company's row by hand."""
    search.remove_companies([instance.pk])


@receiver(post_save, sender=Product)
@receiver(post_delete, sender=Product)
@receiver(post_save, sender=Brochure)
@receiver(post_delete, sender=Brochure)
def booth_content_changed(sender, instance: Product | Brochure, **kwargs) -> None:  # noqa: ANN001
    """A booth shows its products and brochures: any change (also from the admin) is a new
    version of its page."""
    if not kwargs.get("raw"):
        touch_booths([instance.company_id])


@receiver(post_save, sender=ProductPhoto)
@receiver(post_delete, sender=ProductPhoto)
def photo_changed(sender, instance: ProductPhoto, **kwargs) -> None:  # noqa: ANN001
    if kwargs.get("raw"):
        return
    company_id = Product.objects.filter(pk=instance.product_id).values_list("company_id", flat=True)
    touch_booths(company_id)


@receiver(m2m_changed, sender=Company.sectors.through)
def sectors_changed(sender, instance: object, action: str, pk_set: set | None, **kwargs) -> None:  # noqa: ANN001
    """The booth shows its sectors; set() after save() would otherwise keep the old version."""
    if not action.startswith("post_"):
        return
    if isinstance(instance, Company):
        touch_booths([instance.pk])
    elif pk_set:  # changed from the sector's side: the companies are in pk_set
        touch_booths(pk_set)
