"""What a security review of the UI found, each pinned by a test: the admin's login is throttled,
opening a letter writes nothing, CSV downloads cannot carry spreadsheet formulas, uploads are
bounded, odd files give a clear error, password-reset mail cannot be used to flood a mailbox."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from arrears.accounts.models import AccountMail
from arrears.core.spreadsheet import safe_cell
from arrears.dunning.policies import PolicyFileError, read_policy_file
from arrears.dunning.report import as_csv
from tests.web.conftest import PASSWORD


def test_the_admin_login_is_throttled_like_the_ui_login(users):
    client = Client()
    for _ in range(5):
        assert client.post("/admin/login/", {"username": "manager", "password": "wrong"}).status_code == 200
    response = client.post("/admin/login/", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 200
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session
    # and the failures at one door count at the other
    assert b"Too many failed logins" in Client().post("/login/", {"username": "manager", "password": PASSWORD}).content


def test_the_admin_login_still_refuses_users_who_are_not_staff(users):
    response = Client().post("/admin/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_a_run_report_csv_keeps_imported_text_as_text():
    report = {
        "notices": [
            {
                "customer": '=HYPERLINK("http://evil.example","x")',
                "channel": "email",
                "level": 1,
                "policy": "standard",
                "items": [
                    {
                        "invoice": "@SUM(A1)",
                        "currency": "CZK",
                        "outstanding": "-12.50",
                        "due_date": "2026-10-01",
                        "reason": "level",
                        "level": 1,
                        "repetition": 0,
                        "next_possible_on": None,
                    }
                ],
            }
        ],
        "not_reminded": [],
    }
    text = as_csv(report)
    assert '"\'=HYPERLINK(""http://evil.example"",""x"")"' in text
    assert "'@SUM(A1)" in text
    assert ",-12.50," in text  # a negative amount stays a number


def test_the_print_list_keeps_a_formula_in_a_city_as_text():
    # The print batch writes its rows through safe_cell (arrears/delivery/printing.py).
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'


@pytest.mark.parametrize("content", [b"[" * 200_000 + b"]" * 200_000, b'[{"id": 1' + b"0" * 5000 + b"}]'"])
def test_an_import_of_unusable_json_is_an_error_on_the_page_not_a_500(client_for, company, content):
    upload = SimpleUploadedFile("customers.json", content, content_type="application/json")
    response = client_for("clerk").post("/imports/upload/", {"files": [upload]})
    assert response.status_code == 400
    assert b"customers.json" in response.content


def test_an_upload_larger_than_the_limit_is_refused(client_for, company, settings):
    settings.ARREARS_MAX_UPLOAD_MB = 1
    upload = SimpleUploadedFile("customers.csv", b"id,name\n" + b"C1,x\n" * 300_000, content_type="text/csv")
    response = client_for("clerk").post("/imports/upload/", {"files": [upload]})
    assert response.status_code == 400
    assert b"larger than 1 MB" in response.content


def test_a_policy_file_whose_policy_is_not_a_table_is_a_clear_error(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("policy = 5\n")
    with pytest.raises(PolicyFileError, match=r"\[\[policy\]\] tables"):
        read_policy_file(path)


def test_password_reset_mail_to_one_address_is_limited(users, settings):
    settings.EMAIL_BACKEND = "arrears.accounts.mail.SenderAccountBackend"
    client = Client()
    for _ in range(5):
        assert client.post("/password-reset/", {"email": "clerk@acme.example"}).status_code == 302
    rows = list(AccountMail.objects.order_by("id"))
    assert len(rows) == 5
    # No sender account here: the first three fail for that reason, the others are not even tried.
    assert [r.reply for r in rows[3:]] == [
        "not sent: 3 e-mails to this address in the last hour",
        "not sent: 4 e-mails to this address in the last hour",
    ]
    assert not any("not sent:" in r.reply for r in rows[:3])


def test_next_pages_off_the_site_are_ignored(client_for, company):
    client = client_for("viewer")
    for target in ("//evil.example/", "/\\evil.example", "https://evil.example/"):
        assert client.post("/company/", {"company": "acme", "next": target})["Location"] == "/"


def test_a_user_without_staff_rights_gets_no_admin_session(db):
    User.objects.create_user("plain", "", PASSWORD)
    client = Client()
    client.post("/admin/login/", {"username": "plain", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
