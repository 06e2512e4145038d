#!/usr/bin/env python3
"""Regenerate arrears/demo/data/ (committed; this script documents how it was made).

Starts from the shared benchmark generator's format and adds what a real ledger has: names and
addresses per country, a customer without e-mail (paper letters), one with two recipients,
variable symbols, credit notes, a payment quoting a VS with its leading zeros dropped, an
overpayment and an unreferenced payment that matches nothing.
"""

import csv
import datetime as dt
import random
import unicodedata
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "arrears" / "demo" / "data"
AS_OF = dt.date(2026, 11, 20)
rng = random.Random(2026)

PEOPLE = {
    "cs": (
        "CZ",
        [
            "Novák stavby s.r.o.",
            "Pekárna U Dvořáků",
            "Svoboda & syn",
            "Kavárna Modrý slon",
            "Tiskárna Horák",
            "Autoservis Černý",
            "Zahradnictví Veselá",
            "Elektro Procházka",
        ],
        ["Vinohradská 12", "Masarykova 5", "Palackého 88", "Nádražní 3"],
        ["120 00 Praha", "602 00 Brno", "301 00 Plzeň"],
    ),
    "pl": (
        "PL",
        ["Kowalski Sp. z o.o.", "Piekarnia Nowak", "Wiśniewski Transport", "Zakład Lewandowski"],
        ["ul. Długa 7", "ul. Marszałkowska 21"],
        ["00-001 Warszawa", "30-001 Kraków"],
    ),
    "de": (
        "DE",
        [
            "Müller Maschinenbau GmbH",
            "Bäckerei Schmidt",
            "Schneider & Partner KG",
            "Weber Logistik AG",
            "Fischer Druck GmbH",
        ],
        ["Hauptstraße 14", "Bahnhofstraße 2", "Lindenallee 9"],
        ["10115 Berlin", "80331 München"],
    ),
    "ru": (
        "RU",
        ["ООО «Иванов и партнёры»", "ИП Смирнова", "АО «Северный ветер»", "ООО «Кузнецов»"],
        ["ул. Тверская, 7", "Невский пр., 28"],
        ["125009 Москва", "191186 Санкт-Петербург"],
    ),
    "en": (
        "GB",
        ["Baker & Sons Ltd", "Greenfield Consulting", "Harbour Lights Cafe", "Thames Joinery Ltd", "Oakridge Dental"],
        ["12 High Street", "4 Mill Lane"],
        ["SW1A 1AA London", "M1 1AE Manchester"],
    ),
}
CURRENCY = {"cs": "CZK", "pl": "PLN", "de": "EUR", "ru": "EUR", "en": "EUR"}
GROUPS = ["retail", "wholesale", "public", "vip"]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    customers, invoices, payments = [], [], []
    n = 0
    for lang, (country, names, streets, cities) in PEOPLE.items():
        for name in names:
            n += 1
            cid = f"C{n:04d}"
            postal, city = rng.choice(cities).rsplit(" ", 1)
            ascii_name = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
            slug = "".join(ch for ch in ascii_name if ch.isalnum())[:14] or f"cust{n}"
            email = f"billing@{slug}.example"
            if n in (3, 8):
                email = ""  # no e-mail address: this customer gets paper letters
            if n == 9:
                email = f"accounts@{slug}.example; ceo@{slug}.example"  # two recipients
            customers.append([cid, name, email, lang, country, GROUPS[n % 4], rng.choice(streets), city, postal])
    inv_no = 0
    pay_no = 0
    for c in customers:
        cid, lang = c[0], c[3]
        for _ in range(rng.randrange(3, 9)):
            inv_no += 1
            number = f"2026{inv_no:05d}"
            issue = AS_OF - dt.timedelta(days=rng.randrange(0, 170))
            due = issue + dt.timedelta(days=rng.choice([14, 14, 30]))
            cur = CURRENCY[lang] if rng.random() < 0.85 else "EUR"
            scale = 25 if cur in ("CZK", "PLN") else 1
            amount = round(rng.uniform(40, 2500) * scale, 2)
            vs = f"{inv_no:010d}"
            invoices.append([number, cid, issue.isoformat(), due.isoformat(), cur, f"{amount:.2f}", vs, ""])
            r = rng.random()
            paid_on = due + dt.timedelta(days=rng.randrange(-6, 25))
            if paid_on > AS_OF:
                continue
            if r < 0.55:
                pay_no += 1
                payments.append([f"P{pay_no:05d}", cid, paid_on.isoformat(), cur, f"{amount:.2f}", number, ""])
            elif r < 0.65:
                pay_no += 1
                part = round(amount * rng.uniform(0.2, 0.8), 2)
                payments.append([f"P{pay_no:05d}", cid, paid_on.isoformat(), cur, f"{part:.2f}", "", f"VS {inv_no}"])
            elif r < 0.70:
                pay_no += 1
                payments.append([f"P{pay_no:05d}", cid, paid_on.isoformat(), cur, f"{amount:.2f}", "", ""])
    # A credit note correcting the first unpaid invoice of customer C0002, and a free one for C0005.
    paid_numbers = {p[5] for p in payments}
    first_c2 = next(i for i in invoices if i[1] == "C0002" and i[0] not in paid_numbers)
    invoices.append(["CN-2026-001", "C0002", "2026-11-02", "2026-11-02", first_c2[4], "-150.00", "", first_c2[0]])
    invoices.append(["CN-2026-002", "C0005", "2026-11-05", "2026-11-05", "CZK", "-500.00", "", ""])
    # An overpayment and a payment nobody can match.
    pay_no += 1
    target = next(i for i in invoices if i[1] == "C0010")
    over = str(Decimal(target[5]) + 100)
    payments.append([f"P{pay_no:05d}", "C0010", "2026-11-10", target[4], over, target[0], ""])
    pay_no += 1
    payments.append([f"P{pay_no:05d}", "C0012", "2026-11-12", "EUR", "77.70", "", "thanks for the coffee"])

    def write(name: str, header: list[str], rows: list[list[str]]) -> None:
        with (OUT / name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)

    write(
        "customers.csv",
        ["id", "name", "email", "language", "country", "group", "address_line1", "city", "postal_code"],
        customers,
    )
    write(
        "invoices.csv",
        ["number", "customer_id", "issue_date", "due_date", "currency", "amount", "variable_symbol", "reference"],
        invoices,
    )
    write("payments.csv", ["id", "customer_id", "date", "currency", "amount", "invoice_number", "reference"], payments)
    print(f"{len(customers)} customers, {len(invoices)} invoices, {len(payments)} payments -> {OUT}")


if __name__ == "__main__":
    main()
