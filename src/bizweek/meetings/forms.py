"""The consultation log (상담일지) form and the organizer's exchange rates."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from bizweek.expo.models import Product

from .models import ConsultationLog, LogCurrency

AMOUNT = {"min_value": Decimal(0), "max_digits": 18, "decimal_places": 2, "required": False}


class ConsultationLogForm(forms.ModelForm):
    """One currency for every amount of a log: what people type from one quotation."""

    currency = forms.ChoiceField(label=_("currency"), choices=LogCurrency.choices)
    unit_price = forms.DecimalField(label=_("unit price"), **AMOUNT)
    consultation_amount = forms.DecimalField(label=_("consultation amount"), **AMOUNT)
    expected_contract_amount = forms.DecimalField(label=_("expected contract amount"), **AMOUNT)
    signed_contract_amount = forms.DecimalField(label=_("signed contract amount"), **AMOUNT)

    class Meta:
        model = ConsultationLog
        fields = [
            "held",
            "products",
            "interest",
            "quantity",
            "unit_price",
            "consultation_amount",
            "expected_contract_amount",
            "signed_contract_amount",
            "mou_signed",
            "next_step",
            "note",
        ]
        widgets = {
            "products": forms.CheckboxSelectMultiple,
            "note": forms.Textarea(attrs={"rows": 4}),
        }

    field_order = ["held", "products", "interest", "quantity", "currency", "unit_price"]

    def __init__(self, *args, seller_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.filter(company_id=seller_id).order_by(
            "position", "pk"
        )
        self.fields["products"].required = False
        self.fields["interest"].required = False
        if self.instance.pk:
            self.initial.setdefault("currency", self.instance.consultation_currency)

    def service_fields(self) -> dict:
        """The cleaned data as services.file_log takes it (the currency for each amount)."""
        data = dict(self.cleaned_data)
        data.pop("products", None)
        currency = data.pop("currency")
        for name in ("unit_price", "consultation", "expected_contract", "signed_contract"):
            data[f"{name}_currency"] = currency
        return data


class ExchangeRatesForm(forms.Form):
    krw = forms.DecimalField(
        label=_("USD per 1 KRW"),
        min_value=Decimal("0.0000000001"),
        max_digits=20,
        decimal_places=10,
        required=False,
    )
    cny = forms.DecimalField(
        label=_("USD per 1 CNY"),
        min_value=Decimal("0.0000000001"),
        max_digits=20,
        decimal_places=10,
        required=False,
    )
    report_deadline = forms.DateTimeField(
        label=_("consultation logs editable until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: until business matching ends."),
    )
