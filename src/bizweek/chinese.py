"""Simplified ⇄ Traditional Chinese with OpenCC: a text written in one script reaches both."""

from __future__ import annotations

import functools

import opencc
from django.db import models


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@functools.lru_cache(maxsize=65536)
def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text) if text else text


@functools.lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text) if text else text


class ChineseVariantsMixin(models.Model):
    """Fills a missing zh-hant text from zh-hans (and back) and keeps it in step with its source.

    `chinese_derived` lists the translation fields that were derived rather than written by a
    person; a derived value follows its source on every save, a written one is never touched.
    """

    chinese_fields: tuple[str, ...] = ()
    chinese_derived = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.derive_chinese_variants()
        super().save(*args, **kwargs)

    def mark_written(self, field_names: list[str] | set[str]) -> None:
        """Call with the translation fields (e.g. 'name_zh_hant') a person has just edited."""
        self.chinese_derived = [f for f in (self.chinese_derived or []) if f not in field_names]

    def derive_chinese_variants(self) -> None:
        derived = set(self.chinese_derived or [])
        for field in self.chinese_fields:
            hans_attr, hant_attr = f"{field}_zh_hans", f"{field}_zh_hant"
            hans = "" if hans_attr in derived else (getattr(self, hans_attr) or "")
            hant = "" if hant_attr in derived else (getattr(self, hant_attr) or "")
            derived -= {hans_attr, hant_attr}
            if hans and not hant:
                hant = to_traditional(hans)
                derived.add(hant_attr)
            elif hant and not hans:
                hans = to_simplified(hant)
                derived.add(hans_attr)
            setattr(self, hans_attr, hans)
            setattr(self, hant_attr, hant)
        self.chinese_derived = sorted(derived)
