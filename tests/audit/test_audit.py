"""Organizer actions land in the audit log, which only organizers can read and search."""

from __future__ import annotations

from decimal import Decimal

from bizweek.audit import services as audit
from bizweek.audit.models import AuditEntry
from bizweek.companies import services as company_services
from bizweek.meetings import services as meeting_services
from tests import factories


def test_audit_records_approval_with_who_and_what(organizer):
    company = factories.make_company(name_en="Pending Co", status="pending")
    company_services.approve_company(company, by=organizer)
    entry = AuditEntry.objects.get()
    assert entry.action == "company.approved"
    assert entry.actor == organizer and entry.actor_label == organizer.email
    assert entry.target_label == "Pending Co" and entry.target_id == str(company.pk)


def test_audit_records_rejection_reason_and_exchange_rate(organizer, event):
    company = factories.make_company(status="pending")
    company_services.reject_company(company, by=organizer, reason="No website")
    meeting_services.set_exchange_rate(event, "KRW", Decimal("0.00075"), by=organizer)
    rejected, rate = AuditEntry.objects.order_by("id")
    assert rejected.details == {"reason": "No website"}
    assert rate.action == "exchange_rate.changed"
    assert rate.details == {"currency": "KRW", "usd_per_unit": "0.00075"}


def test_audit_log_page_searches_by_text_and_action(client, organizer):
    audit.record(organizer, "company.approved", "Changwon Precision")
    audit.record(organizer, "schedule.published", "Day 1", booked=12)
    client.force_login(organizer)
    html = client.get("/organizer/audit/?q=changwon").content.decode()
    assert "Changwon Precision" in html and "Day 1" not in html
    html = client.get("/organizer/audit/?action=schedule.published").content.decode()
    assert "Day 1" in html and "Changwon Precision" not in html
    assert "booked: 12" in html


def test_audit_log_page_escapes_user_text(client, organizer):
    audit.record(organizer, "company.approved", "<script>alert(1)</script>")
    client.force_login(organizer)
    html = client.get("/organizer/audit/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_audit_log_page_refuses_exhibitor(client, seller):
    client.force_login(factories.make_member(seller))
    assert client.get("/organizer/audit/").status_code == 403
