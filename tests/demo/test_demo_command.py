import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bizweek.accounts.models import Role, User
from bizweek.companies.models import Company, CompanyStatus
from bizweek.events.models import AgendaItem, AgendaKind, Event
from bizweek.expo.models import Product
from tests.factories import make_company

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(capsys):
    call_command("demo", "--scale", "1", "--seed", "1")
    return capsys.readouterr().out


def test_demo_scale_one_has_the_real_events_shape(demo, client):
    sellers = client.get("/api/v1/companies", {"role": "seller", "limit": 1}).json()
    buyers = client.get("/api/v1/companies", {"role": "buyer", "limit": 1}).json()
    assert (sellers["count"], buyers["count"]) == (473, 631)
    assert Company.objects.filter(role="seller", country="KR").approved().count() == 473
    assert Company.objects.buyers().values("country").distinct().count() >= 15
    assert Company.objects.filter(status=CompanyStatus.PENDING).count() > 0  # approval queue
    per_seller = Product.objects.values("company").distinct().count()
    assert per_seller >= 473
    assert Product.objects.count() >= 3 * 473
    assert not Product.objects.filter(hs_code__isnull=True).exists()
    agenda = AgendaItem.objects.all()
    assert agenda.filter(kind=AgendaKind.PR_SESSION).count() == 20
    assert agenda.filter(kind=AgendaKind.CEREMONY).count() == 2
    for role in (Role.ORGANIZER, Role.HOST, Role.INTERPRETER):
        assert User.objects.filter(role=role).exists()
    assert "organizer@demo.bizweek.test" in demo
    assert Event.objects.get().phase == "live"

    # The logins it prints work (checked on the same build: the demo takes a while to make).
    seller_login = User.objects.filter(role=Role.EXHIBITOR).order_by("pk").first()
    assert seller_login.email in demo
    assert client.login(username=seller_login.email, password="bizweek-demo")


def test_demo_is_deterministic_for_a_seed(demo):
    first = list(Company.objects.order_by("external_id").values_list("external_id", "name_ko"))
    call_command("demo", "--seed", "1", "--reset")
    second = list(Company.objects.order_by("external_id").values_list("external_id", "name_ko"))
    assert first == second


def test_demo_refuses_to_overwrite_data_without_reset():
    kept = make_company(name="Existing Co")  # an organizer's real data, not the demo's
    with pytest.raises(CommandError):
        call_command("demo")
    call_command("demo", "--if-empty")  # make run: quietly keeps the existing data
    assert list(Company.objects.all()) == [kept]
