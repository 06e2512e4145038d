"""Print batches: the letters waiting, making a batch, downloading its PDF and list, confirming it."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from arrears.companies.services import create_company
from arrears.delivery.models import OutboxMessage, PrintBatch
from arrears.dunning.runs import approve_run


@pytest.fixture
def letters(world, actor):
    approve_run(world.run, actor)
    waiting = OutboxMessage.objects.filter(company=world.company, status="paper", print_batch__isnull=True)
    assert waiting.exists()
    return world


def _flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_lists_the_letters_waiting(letters, client_for, django_assert_max_num_queries):
    waiting = OutboxMessage.objects.filter(company=letters.company, status="paper")
    client = client_for("viewer")
    with django_assert_max_num_queries(15):
        response = client.get(reverse("web:print_batches"))
    assert response.context["waiting_count"] == waiting.count()
    html = response.content.decode()
    assert waiting.first().notice.customer.name in html
    # A viewer cannot make a batch: no button.
    assert reverse("web:print_batch_make") not in html
    assert reverse("web:print_batch_make") in client_for("clerk").get(reverse("web:print_batches")).content.decode()


def test_a_clerk_makes_a_batch_downloads_it_and_confirms_it(letters, client_for):
    count = OutboxMessage.objects.filter(company=letters.company, status="paper").count()
    client = client_for("clerk")
    response = client.post(reverse("web:print_batch_make"))
    batch = PrintBatch.objects.get(company=letters.company)
    assert response["Location"] == reverse("web:print_batch_detail", args=[batch.pk])
    assert batch.letters == count
    assert batch.created_by == "clerk"
    detail = client.get(reverse("web:print_batch_detail", args=[batch.pk]))
    assert len(detail.context["rows"]) == count
    assert reverse("web:print_batch_confirm", args=[batch.pk]) in detail.content.decode()

    pdf = client.get(reverse("web:print_batch_pdf", args=[batch.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    listing = client.get(reverse("web:print_batch_csv", args=[batch.pk]))
    text = b"".join(listing.streaming_content).decode()
    assert text.startswith("message,notice,customer")
    assert len(text.strip().splitlines()) == count + 1

    client.post(reverse("web:print_batch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.printed_at is not None
    assert batch.printed_by == "clerk"
    assert set(OutboxMessage.objects.filter(print_batch=batch).values_list("status", flat=True)) == {"printed"}
    # Confirming twice is refused, as a message.
    again = client.post(reverse("web:print_batch_confirm", args=[batch.pk]))
    assert any("was confirmed on" in text for text in _flash(again))


def test_nothing_to_print_is_a_warning(world, client_for):
    response = client_for("clerk").post(reverse("web:print_batch_make"))
    assert response["Location"] == reverse("web:print_batches")
    assert any("no letters are waiting" in text for text in _flash(response))
    assert not PrintBatch.objects.exists()


def test_a_viewer_may_not_make_or_confirm_a_batch(letters, client_for, actor):
    client = client_for("viewer")
    assert client.post(reverse("web:print_batch_make")).status_code == 403
    assert not PrintBatch.objects.exists()
    from arrears.delivery.printing import make_batch

    batch = make_batch(letters.company, actor)
    assert client.post(reverse("web:print_batch_confirm", args=[batch.pk])).status_code == 403
    batch.refresh_from_db()
    assert batch.printed_at is None
    # ...but may look at it and download it.
    assert client.get(reverse("web:print_batch_detail", args=[batch.pk])).status_code == 200
    assert client.get(reverse("web:print_batch_csv", args=[batch.pk])).status_code == 200


def test_a_batch_of_another_company_is_not_found(letters, client_for):
    other = create_company(code="other", name="Other a.s.", country="CZ", default_currency="CZK")
    foreign = PrintBatch.objects.create(company=other, created_by="x", pdf_path="x.pdf", list_path="x.csv")
    client = client_for("manager")
    for name in ("print_batch_detail", "print_batch_pdf", "print_batch_csv"):
        assert client.get(reverse(f"web:{name}", args=[foreign.pk])).status_code == 404, name
    assert client.post(reverse("web:print_batch_confirm", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.printed_at is None
