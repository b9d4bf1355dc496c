"""The monthly access snapshot (situation/snapshot/) through Django's test client, on the Panjshir demo:
September 2021's counts against the demo's incident log (access/fixtures/scenario_panjshir_2021.md), the
change from August, the downloads read back, a bad month, and an incident's sensitivity.
"""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from access.choices import Confidence, ConstraintCategory, IncidentType, PerpetratorType, Sensitivity
from access.models import Region
from access.services.incidents import record_incident
from humtrack.actor import SYSTEM
from scenarios.demo import load_demo
from situation.snapshot.selectors import Change, last_complete_month
from tests.factories import SourceFactory, UserFactory, make_coordinator

SNAPSHOT = reverse("situation:snapshot")
SEPTEMBER = {"month": "2021-09", "within": "AF"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    load_demo()


def cells(html: str, table: str, key: str) -> list[str]:
    """The row's cells (this month, previous month, change, a year before, change) as the page shows them."""
    table_html = re.search(rf'<table class="count-table" id="counts-{table}".*?</table>', html, re.S)
    assert table_html, f"no {table} table"
    row = re.search(rf'<tr data-key="{key}".*?</tr>', table_html.group(0), re.S)
    assert row, f"no row {key} in {table}"
    return [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]


def csv_rows(content: bytes) -> dict[tuple[str, str], dict[str, str]]:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return {(row["table"], row["key"]): row for row in reader}


def test_september_2021_counts_the_demo_log_by_category_type_region_and_perpetrator(client, demo):
    response = client.get(SNAPSHOT, SEPTEMBER)

    assert response.status_code == 200
    html = response.content.decode()
    # All eight incidents of the log were under way in September (two of them began in August).
    assert "8 incidents under way in the month" in html
    assert cells(html, "category", "hostilities")[:2] == ["5", "1"]
    assert cells(html, "category", "restricted_access_to_services")[:2] == ["2", "0"]
    assert cells(html, "category", "movement_restrictions")[:2] == ["1", "1"]
    assert cells(html, "category", "violence_against_aid")[:2] == ["0", "0"]
    assert cells(html, "perpetrator_type", "party_to_the_conflict")[:2] == ["8", "2"]
    assert cells(html, "incident_type", "fighting_reported")[:2] == ["4", "0"]
    # Provinces with their districts below: Panjsher (AF08) has all but the claims in Baghlan and Kapisa.
    assert cells(html, "region", "AF08")[0] == "5"
    assert cells(html, "region", "AF0806")[0] == "1"
    assert cells(html, "region", "AF03")[0] == "2"
    # Month on month: hostilities 1 → 5 is +4 (+400%); services from 0 is new.
    assert cells(html, "category", "hostilities")[2] == "+4 (+400%)"
    assert cells(html, "category", "restricted_access_to_services")[2] == "new"
    # A year before (September 2020) the log has nothing: all new.
    assert cells(html, "category", "hostilities")[3:] == ["0", "new"]


def test_august_2021_has_the_two_incidents_that_began_in_it(client, demo):
    response = client.get(SNAPSHOT, {"month": "2021-08", "within": "AF"})

    html = response.content.decode()
    assert "2 incidents under way in the month" in html
    assert cells(html, "category", "hostilities")[:3] == ["1", "0", "new"]
    assert cells(html, "category", "movement_restrictions")[:3] == ["1", "0", "new"]


def test_the_snapshot_maps_the_provinces_by_severity_with_names_and_levels(client, demo):
    html = client.get(SNAPSHOT, SEPTEMBER).content.decode()

    assert 'role="img" aria-labelledby="map-title map-desc"' in html
    assert html.count('class="map-area ') == Region.objects.filter(parent__pcode="AF").count() == 34
    panjshir = re.search(r'<path class="map-area level-(\w+) region-AF08"[^>]*><title>([^<]*)</title>', html)
    assert panjshir and panjshir.group(2).startswith("Panjsher: ")
    # A province without evidence that month is "no information", drawn apart from 0.
    kandahar = re.search(r'<path class="map-area level-(\w+) region-AF26"', html)
    assert kandahar and kandahar.group(1) == "none"
    assert panjshir.group(1) != "none"


def test_the_csv_is_one_long_table_of_the_same_counts(client, demo):
    response = client.get(SNAPSHOT, {**SEPTEMBER, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="access-snapshot-2021-09-AF.csv"'
    content = response.content
    assert content.decode("utf-8-sig").splitlines()[0] == "table,key,label,count,previous_month,previous_year"
    rows = csv_rows(content)
    assert rows[("total", "total")]["count"] == "8"
    assert rows[("total", "total")]["previous_month"] == "2"
    hostilities = rows[("category", "hostilities")]
    assert (hostilities["count"], hostilities["previous_month"], hostilities["previous_year"]) == ("5", "1", "0")
    assert rows[("perpetrator_type", "party_to_the_conflict")]["count"] == "8"
    assert rows[("region", "AF08")]["label"] == "Panjsher"


def test_the_xlsx_has_one_sheet_per_table_with_the_same_counts(client, demo):
    response = client.get(SNAPSHOT, {**SEPTEMBER, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="access-snapshot-2021-09-AF.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["total", "category", "incident_type", "region", "perpetrator_type"]
    category = {row[0]: row[2:] for row in workbook["category"].iter_rows(min_row=2, values_only=True)}
    assert category["hostilities"] == (5, 1, 0)
    assert category["restricted_access_to_services"] == (2, 0, 0)
    assert category["movement_restrictions"] == (1, 1, 0)
    header = next(workbook["region"].iter_rows(max_row=1, values_only=True))
    assert header == ("key", "label", "count", "previous_month", "previous_year")


def test_the_pdf_is_a_pdf_with_the_map_and_the_tables(client, demo):
    from pypdf import PdfReader

    response = client.get(SNAPSHOT, {**SEPTEMBER, "format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="access-snapshot-2021-09-AF.pdf"'
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert 2 <= len(reader.pages) <= 8
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Computed access severity in Afghanistan, September 2021" in first
    assert "8 incidents under way in the month" in first
    rest = " ".join(page.extract_text() for page in reader.pages[1:])
    assert "Ongoing insecurity or hostilities" in rest and "Party to the conflict" in rest


@pytest.mark.parametrize("month", ["2021-13", "September", "2021-9", "0999-01"])
def test_a_bad_month_is_a_400_that_says_so(client, demo, month):
    response = client.get(SNAPSHOT, {"month": month, "within": "AF"})

    assert response.status_code == 400
    assert "Give the month as year and month, e.g. 2021-09." in response.content.decode()
    assert "incidents under way" not in response.content.decode()


def test_an_unknown_region_is_a_404(client, demo):
    assert client.get(SNAPSHOT, {"month": "2021-09", "within": "ZZ99"}).status_code == 404


def test_without_a_month_the_snapshot_is_of_the_last_complete_month(client, demo):
    response = client.get(SNAPSHOT)

    assert response.status_code == 200
    assert last_complete_month(date(2021, 10, 14)) == date(2021, 9, 1)
    assert last_complete_month(date(2022, 1, 1)) == date(2021, 12, 1)


def test_a_province_snapshot_counts_only_its_incidents_with_districts_as_rows(client, demo):
    html = client.get(SNAPSHOT, {"month": "2021-09", "within": "AF08"}).content.decode()

    assert "5 incidents under way in the month" in html
    assert cells(html, "region", "AF0806")[0] == "1"
    # The four recorded on the province itself, not more precisely: a row of their own.
    assert cells(html, "region", "AF08")[0] == "4"


def test_a_restricted_incident_is_counted_for_everyone_but_its_description_shown_only_to_who_may_read_it(client, demo):
    secret = "Convoy of agency X stopped at the Gulbahar checkpoint, two drivers held."
    record_incident(
        actor=SYSTEM,
        region=Region.objects.get(pcode="AF0806"),
        occurred_at=datetime(2021, 9, 20, 9, tzinfo=UTC),
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        incident_type=IncidentType.CONVOY_BLOCKED,
        perpetrator_type=PerpetratorType.PARTY_TO_THE_CONFLICT,
        description=secret,
        sensitivity=Sensitivity.RESTRICTED,
        source=SourceFactory(),
        confidence=Confidence.REPORTED,
    )

    anonymous = client.get(SNAPSHOT, SEPTEMBER).content.decode()
    assert "9 incidents under way in the month" in anonymous
    assert cells(anonymous, "category", "movement_restrictions")[0] == "2"
    assert secret not in anonymous
    assert "Not shown: the description is for readers with access." in anonymous
    assert secret not in client.get(SNAPSHOT, {**SEPTEMBER, "format": "pdf"}).content.decode("latin-1")

    # Panjsher's coordinator may read it (access.policies.can_read_incident_details).
    client.force_login(make_coordinator(Region.objects.get(pcode="AF08")))
    assert secret in client.get(SNAPSHOT, SEPTEMBER).content.decode()


def test_the_change_is_new_where_the_base_is_zero_and_a_percentage_elsewhere():
    assert str(Change.between(5, 1)) == "+4 (+400%)"
    assert str(Change.between(1, 4)) == "−3 (−75%)"
    assert str(Change.between(3, 0)) == "new"
    assert str(Change.between(0, 0)) == "0"
    assert Change.between(0, 2).percent == -100


def test_the_situation_page_links_to_the_snapshot_of_its_region(client, demo):
    client.force_login(make_coordinator(Region.objects.get(pcode="AF08")))

    html = client.get(reverse("situation:page"), {"within": "AF08"}).content.decode()

    assert f'<a class="snapshot-link" href="{SNAPSHOT}?within=AF08">Monthly access snapshot</a>' in html


def test_a_superuser_reads_every_description(client, demo):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = client.get(SNAPSHOT, SEPTEMBER)

    assert response.status_code == 200
    assert "Not shown: the description is for readers with access." not in response.content.decode()


def test_in_dari_the_snapshot_is_right_to_left_with_dari_region_names(client, demo):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa-af"

    html = client.get(SNAPSHOT, SEPTEMBER).content.decode()

    assert '<html lang="fa-af" dir="rtl">' in html
    panjshir = Region.objects.get(pcode="AF08")
    assert panjshir.name_fa_af and cells(html, "region", "AF08")[0] == "5"
    assert f"<title>{panjshir.name_fa_af}: " in html
