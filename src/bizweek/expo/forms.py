"""Forms for the booth editor: products in four languages side by side, uploads."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bizweek.companies.forms import ENDONYMS, HSPickerInput
from bizweek.companies.models import HSCode
from bizweek.companies.services import parse_hs_codes
from bizweek.richtext import sanitize_html

from .models import Product

LANG_SUFFIXES = ("ko", "zh_hans", "zh_hant", "en")


class ProductForm(forms.ModelForm):
    hs_code = forms.CharField(
        label=_("HS code"),
        required=False,
        help_text=_(
            "4 or 6 digits, e.g. 842952. Buyers searching in other languages find you by it."
        ),
        widget=HSPickerInput(multiple=False),
    )

    class Meta:
        model = Product
        fields = [
            *[f"name_{s}" for s in LANG_SUFFIXES],
            *[f"description_{s}" for s in LANG_SUFFIXES],
            "hs_code",
            "moq",
            "price_min",
            "price_max",
            "currency",
            "is_published",
        ]
        widgets = {f"description_{s}": forms.Textarea(attrs={"rows": 4}) for s in LANG_SUFFIXES}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        name_label, description_label = _("Product name"), _("Description")
        for suffix in LANG_SUFFIXES:
            self.fields[f"name_{suffix}"].label = f"{name_label} · {ENDONYMS[suffix]}"
            self.fields[f"name_{suffix}"].required = False
            self.fields[f"description_{suffix}"].label = f"{description_label} · {ENDONYMS[suffix]}"
            self.fields[f"description_{suffix}"].required = False
        if self.instance.pk and self.instance.hs_code_id and not self.is_bound:
            self.initial["hs_code"] = self.instance.hs_code_id

    def language_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(language, name, description) for the side-by-side editor with missing-text hints."""
        return [(ENDONYMS[s], self[f"name_{s}"], self[f"description_{s}"]) for s in LANG_SUFFIXES]

    def clean_hs_code(self) -> HSCode | None:
        raw = self.cleaned_data.get("hs_code", "")
        if not raw:
            return None
        codes, unknown = parse_hs_codes(raw)
        if unknown or len(codes) != 1:
            raise forms.ValidationError(_("Unknown HS code: %(code)s"), params={"code": raw})
        return codes[0]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not any((cleaned.get(f"name_{s}") or "").strip() for s in LANG_SUFFIXES):
            self.add_error("name_ko", _("Enter the product name in at least one language."))
        for suffix in LANG_SUFFIXES:
            field = f"description_{suffix}"
            if cleaned.get(field):
                cleaned[field] = sanitize_html(cleaned[field])
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price must not be below the lowest price."))
        if (low is not None or high is not None) and not cleaned.get("currency"):
            self.add_error("currency", _("Choose the currency of the price."))
        return cleaned

    def written_fields(self) -> set[str]:
        return {name for name in self.changed_data if name.startswith(("name_", "description_"))}


class ImageUploadForm(forms.Form):
    image = forms.FileField(
        label=_("Image (JPEG, PNG or WebP)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class VideoUploadForm(forms.Form):
    video = forms.FileField(
        label=_("Promotional video (MP4 or WebM)"),
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/webm"}),
    )


class BrochureForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("PDF file"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
