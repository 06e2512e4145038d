"""The import page: a clerk uploads customers, invoices and payments files and gets the report, or
every error with its file, line and field and nothing written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from arrears.companies.services import create_company
from arrears.customers.models import Customer
from arrears.history.services import Actor
from arrears.ledger.imports.runner import run_import
from arrears.ledger.models import ImportBatch, Invoice, Payment
from tests.web.conftest import DEMO_DATA

URL = reverse("web:imports")
UPLOAD = reverse("web:import_upload")


def _demo_files() -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(name, (DEMO_DATA / name).read_bytes(), content_type="text/csv")
        for name in ("customers.csv", "invoices.csv", "payments.csv")
    ]


def test_a_clerk_imports_the_demo_files_and_sees_the_report(company, client_for):
    client = client_for("clerk")
    response = client.post(UPLOAD, {"files": _demo_files()}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == URL
    text = response.content.decode()
    assert "Import #" in text
    assert "Customers: 26 created, 0 updated, 0 unchanged" in text
    assert "Invoices: 154 created" in text
    assert Customer.objects.filter(company=company).count() == 26
    assert Invoice.objects.filter(company=company).count() == 154
    assert Payment.objects.filter(company=company).count() == 98
    batch = ImportBatch.objects.get(company=company)
    assert batch.actor_label.startswith("clerk")
    assert [f["name"] for f in batch.files] == ["customers.csv", "invoices.csv", "payments.csv"]
    # The list shows the import with its files and counts.
    assert f"#{batch.pk}" in text
    assert "customers.csv, invoices.csv, payments.csv" in text
    assert "26 / 0 / 0" in text


def test_an_error_names_file_line_and_field_and_nothing_is_written(company, client_for):
    customers = SimpleUploadedFile("customers.csv", b"id,name\nK1,Alpha\nK2,Beta\n")
    invoices = SimpleUploadedFile(
        "invoices.csv",
        b"number,customer_id,issue_date,due_date,currency,amount\n"
        b"F1,K1,2026-10-01,2026-10-15,CZK,100.00\n"
        b"F2,K2,01.10.2026,2026-10-15,CZK,100.00\n"
        b"F3,K2,2026-10-01,2026-10-15,CZK,12.345\n",
    )
    response = client_for("clerk").post(UPLOAD, {"files": [customers, invoices]})
    assert response.status_code == 400
    text = response.content.decode()
    assert "nothing was written" in text
    assert "invoices.csv" in text
    assert "<code>issue_date</code>" in text
    assert "is not a date" in text
    assert '<td class="num">3</td>' in text  # the line of the bad row
    assert "more decimal places than CZK allows" in text  # every error at once
    assert "2 errors" in text
    assert Customer.objects.count() == 0
    assert Invoice.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_files_of_an_unknown_kind_or_type_are_refused_before_anything_is_read(company, client_for):
    client = client_for("clerk")
    response = client.post(UPLOAD, {"files": [SimpleUploadedFile("ledger.xlsx", b"PK\x03\x04")]})
    assert response.status_code == 400
    assert "expected a .csv, .json or .jsonl file" in response.content.decode()
    response = client.post(UPLOAD, {"files": [SimpleUploadedFile("export.csv", b"id,name\nK1,A\n")]})
    assert response.status_code == 400
    assert "must start with customers, invoices or payments" in response.content.decode()
    response = client.post(UPLOAD, {})
    assert response.status_code == 400
    assert "Choose at least one file" in response.content.decode()
    assert ImportBatch.objects.count() == 0
    assert Customer.objects.count() == 0


def test_a_file_name_with_folders_is_reduced_to_its_name(company, client_for):
    upload = SimpleUploadedFile("../../etc/customers.csv", b"id,name\nK1,Alpha\n")
    response = client_for("clerk").post(UPLOAD, {"files": [upload]})
    assert response.status_code == 302
    assert ImportBatch.objects.get().files[0]["name"] == "customers.csv"
    assert Customer.objects.get().name == "Alpha"


def test_a_viewer_sees_the_imports_but_may_not_upload(company, client_for):
    client = client_for("viewer")
    page = client.get(URL)
    assert page.status_code == 200
    assert 'type="file"' not in page.content.decode()
    assert "needs the role clerk" in page.content.decode()
    assert client.post(UPLOAD, {"files": _demo_files()}).status_code == 403
    assert ImportBatch.objects.count() == 0
    assert Customer.objects.count() == 0
    assert 'type="file"' in client_for("clerk").get(URL).content.decode()


def test_a_get_of_the_upload_address_changes_nothing(company, client_for):
    assert client_for("clerk").get(UPLOAD).status_code == 405


def test_only_the_current_companys_imports_are_listed(company, client_for):
    other = create_company(code="beta", name="Beta", country="DE", default_currency="EUR")
    run_import(other, [DEMO_DATA / "customers.csv"], Actor("someone-at-beta"))
    text = client_for("clerk").get(URL).content.decode()
    assert "someone-at-beta" not in text
    assert "Nothing has been imported yet." in text


@pytest.mark.parametrize("imports", [3, 25])
def test_the_list_costs_the_same_queries_however_many_imports(
    company, client_for, imports, tmp_path, django_assert_max_num_queries
):
    folder = tmp_path / "one"
    folder.mkdir()
    for n in range(imports):
        (folder / "customers.csv").write_text(f"id,name\nK{n},Customer {n}\n")
        run_import(company, [folder / "customers.csv"], Actor("test"))
    client = client_for("viewer")
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == min(imports, 20) + 1
