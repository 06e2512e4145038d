from datetime import date
from arrears.dunning.runs import approve_run, discard_run
from arrears.dunning.services import exclude_notice, exclude_item, create_manual_notice
from arrears.dunning.models import Notice
from tests.dunning.conftest import FRIDAY, customer_row, run, notices, reasons, cust, inv, state


def setup(ledger):
    ledger(customers=[customer_row("C1", "Jana", "jana@example.cz", "vip")],
           invoices=[["F1", "C1", "2026-10-01", "2026-10-15", "CZK", "1000.00"],
                     ["F2", "C1", "2026-10-01", "2026-10-15", "CZK", "500.00"]])


def test_excluded_then_next_run(ledger, standard, company, actor):
    setup(ledger)
    r = run(company, FRIDAY, actor, review=True)
    exclude_notice(notices(r)["C1"], actor)
    approve_run(r.run, actor)
    r2 = run(company, date(2026, 11, 23), actor)
    print(r2.status, reasons(r2))


def test_discarded_then_rerun(ledger, standard, company, actor):
    setup(ledger)
    r = run(company, FRIDAY, actor, review=True)
    discard_run(r.run, actor)
    r2 = run(company, FRIDAY, actor)
    print(r2.status, reasons(r2))


def test_manual_group(ledger, load_policy, company, actor):
    from tests.dunning.conftest import STANDARD, GENTLE
    setup(ledger)
    load_policy(STANDARD, GENTLE + '\n[assign]\ngroups = { vip = "gentle" }\n')
    for d in [date(2026, 11, 19), date(2026, 12, 22)]:
        r = run(company, d, actor)
        print(r.status, r.message, {k:(n.level, n.policy_code) for k,n in notices(r).items()})
    print(state("F1"))
    n = create_manual_notice(cust("C1"), [inv("F1")], actor, deadline=date(2027,1,30), today=date(2027,1,5))
    print(n.level, n.policy_code, n.template, list(n.items.values_list("level","repetition","reason")))
