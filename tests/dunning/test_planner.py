"""The run's planner against the straightforward loop it replaces.

A run reads narrow rows and lets Planner decide them: each distinct input is decided once and the
decision given to every invoice alike (same policy, currency, due date, switches and state, and an
amount reaching the same thresholds). These properties feed it customers whose invoices are drawn
from small pools, so that many are alike and many differ in one input only, in both row forms
(SQLite: ISO text and 0/1; PostgreSQL: dates and booleans), and compare every decision, notice and
policy with reference_plan(): decide() for each invoice, as the run did before it remembered.
No database is needed.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.core.engine import Decision, DunningState, InvoiceFacts, Reason, decide
from arrears.core.notices import Item, group_customer
from arrears.core.policy import Action, Channel, Level, Policy, PreDue
from arrears.dunning.engine_io import Lookups, Planner, cycle_collector_paused
from arrears.dunning.policies import PolicySet
from arrears.ledger import bulk
from tests.core.test_engine_properties import policies

TODAY = date(2026, 3, 2)
DUE_DATES = [TODAY + timedelta(days=d) for d in (-90, -40, -20, -8, -1, 0, 2, 5, 30)]
NOTICE_DAYS = [TODAY - timedelta(days=d) for d in (0, 1, 13, 14, 30, 60)]
AMOUNTS = [1, 40, 50, 99, 100, 5000, 9999, 10000, 20000, 30000]


def reference_plan(
    customer_id: int,
    rows: list[tuple[Any, ...]],
    today: date,
    policies: PolicySet,
    lookups: Lookups,
    sending: dict[str, str | None],
) -> tuple[list[tuple[int, str, Decision, bool]], Any, str | None, dict[int, str]]:
    """The run's plan as it was computed before Planner: decide() per invoice, nothing remembered.
    Returns ((invoice id, policy code, decision, counts as overdue) per row, notice, its policy
    code, invoice id -> policy code of each notice item)."""

    def day(value: Any) -> date | None:
        return value if value is None or isinstance(value, date) else date.fromisoformat(value)

    looked = []
    due: list[Item] = []
    overdue: dict[str, int] = {}
    customer_policy = lookups.policy_of_customer.get(customer_id, policies.default or "")
    for (inv_id, _, _, outstanding, currency, due_on, inv_on, inv_paused, inv_disputed,
         cust_on, cust_paused, cust_disputed, level, reps, last_on, pre_on, stop_on, hand_on) in rows:  # fmt: skip
        due_date = day(due_on)
        assert due_date is not None
        facts = InvoiceFacts(
            inv_id,
            customer_id,
            currency,
            due_date,
            outstanding,
            bool(inv_on),
            day(inv_paused),
            bool(inv_disputed),
            bool(cust_on),
            day(cust_paused),
            bool(cust_disputed),
        )
        state = DunningState(level or 0, reps or 0, day(last_on), day(pre_on), day(stop_on), day(hand_on))
        code = policies.invoice.get(inv_id, customer_policy)
        policy = policies.policies.get(code)
        remindable = (
            bool(inv_on) and bool(cust_on) and not inv_disputed and not cust_disputed and not stop_on and not hand_on
        )
        counts = due_date < today and remindable
        if counts:
            overdue[currency] = overdue.get(currency, 0) + outstanding
        if policy is None:
            looked.append((inv_id, code, Decision(Reason.EXCLUDED_CUSTOMER, state.level, detail="no policy"), counts))
            continue
        decision = decide(facts, state, policy, today)
        why_not = sending.get(code)
        if decision.sends and why_not:
            decision = Decision(Reason.NOT_SENDING_DAY, state.level, next_possible_on=None, detail=why_not)
        looked.append((inv_id, code, decision, counts))
        if decision.sends:
            if decision.reason == Reason.PRE_DUE:
                channel = policy.pre_due.channel if policy.pre_due else Channel.EMAIL
            else:
                channel = policy.level(decision.level).channel
            due.append(Item(facts, decision, channel))
    grouping = group_customer(
        customer_id, due, overdue, lookups.credit.get(customer_id, {}), customer_id in lookups.has_email
    )
    covered = {item.facts.invoice_id for item in grouping.covered_by_credit}
    looked = [
        (
            inv_id,
            code,
            Decision(Reason.CREDIT_COVERS, d.level - 1 if d.reason == Reason.LEVEL else d.level),
            counts,
        )
        if inv_id in covered
        else (inv_id, code, d, counts)
        for inv_id, code, d, counts in looked
    ]
    if grouping.notice is None:
        return looked, None, None, {}
    codes = {inv_id: code for inv_id, code, _, _ in looked}
    top = max(grouping.notice.items, key=lambda it: it.decision.level)
    item_codes = {i.facts.invoice_id: codes[i.facts.invoice_id] for i in grouping.notice.items}
    return looked, grouping.notice, codes[top.facts.invoice_id], item_codes


# What each input column of a row (currency to handed_over_on) may hold.
_SOME_DAY = st.one_of(st.none(), st.sampled_from(NOTICE_DAYS))
_RARE_DAY = st.one_of(*[st.none()] * 3, st.sampled_from(NOTICE_DAYS))
_PAUSE = st.one_of(*[st.none()] * 3, st.sampled_from(DUE_DATES))
_ON = st.sampled_from((True,) * 4 + (False,))
COLUMNS = [
    st.sampled_from(("EUR", "CZK", "JPY")),  # currency
    st.sampled_from(DUE_DATES),  # due date
    _ON,  # dunning enabled
    _PAUSE,  # paused until
    _ON.map(lambda on: not on),  # disputed
    _ON,  # customer: dunning enabled
    _PAUSE,  # customer: paused until
    _ON.map(lambda on: not on),  # customer: disputed
    st.one_of(st.none(), st.integers(min_value=0, max_value=4)),  # level (None: never reminded)
    st.one_of(st.none(), st.integers(min_value=0, max_value=2)),  # repetitions
    _SOME_DAY,  # last notice
    _RARE_DAY,  # pre-due sent
    _RARE_DAY,  # stopped
    _RARE_DAY,  # handed over
]


def row_form(columns: tuple[Any, ...], sqlite: bool) -> tuple[Any, ...]:
    """The columns as the database returns them: on SQLite dates as ISO text and booleans as 0/1."""
    if not sqlite:
        return columns
    return tuple(v.isoformat() if isinstance(v, date) else int(v) if isinstance(v, bool) else v for v in columns)


@st.composite
def inputs(draw, sqlite: bool) -> list[tuple[Any, ...]]:
    """A few distinct inputs: one with nothing that blocks reminders (mostly reminded before, so that
    levels, repetitions and spacing come into play), then others that are the same as an earlier one
    in all columns but one. A planner that left a column (or the amount's thresholds) out of what it
    remembers decisions by would give one of them the other's decision."""
    reminded = (
        draw(st.integers(min_value=1, max_value=2)),
        draw(st.integers(min_value=0, max_value=2)),
        draw(st.sampled_from(NOTICE_DAYS)),
    )
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        reminded = tuple(draw(c) for c in COLUMNS[8:11])
    found = [(draw(COLUMNS[0]), draw(COLUMNS[1]), True, None, False, True, None, False, *reminded, None, None, None)]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        changed = list(draw(st.sampled_from(found)))
        column = draw(st.integers(min_value=0, max_value=len(COLUMNS) - 1))
        changed[column] = draw(COLUMNS[column].filter(lambda v, old=changed[column]: v != old))
        found.append(tuple(changed))
    return [row_form(columns, sqlite) for columns in found]


@st.composite
def customer_rows(
    draw, customer_id: int, first_invoice: int, alike: list[tuple[Any, ...]], every: bool
) -> list[tuple[Any, ...]]:
    """One customer's candidate rows, in the order and form the candidates query returns them;
    `every`: at least one row for each input."""
    chosen = list(alike) if every else []
    chosen += draw(st.lists(st.sampled_from(alike), max_size=4))
    rows = [
        (first_invoice + n, customer_id, f"INV-{first_invoice + n}", draw(st.sampled_from(AMOUNTS)), *columns)
        for n, columns in enumerate(chosen)
    ]
    rows.sort(key=lambda r: (str(r[5]), r[0]))  # by due date, as the query orders them
    return rows


@st.composite
def runs(draw):
    """Policies, who gets which, the sending days, the lookups and the customers of one run."""
    codes = ["standard", "gentle"][: draw(st.integers(min_value=1, max_value=2))]
    chosen = {}
    for code in codes:
        policy = draw(policies())
        # Often a short ladder, so that invoices reach its last level and repeat it; some levels act.
        actions = st.sampled_from(
            [(Action.NONE, "")] * 2 + [(Action.HANDOVER, ""), (Action.WEBHOOK, "https://x.test/")]
        )
        levels = [replace(lv, action=a, webhook_url=u) for lv in policy.levels for a, u in [draw(actions)]]
        chosen[code] = replace(policy, code=code, levels=tuple(levels[: draw(st.sampled_from([1, 2, 4]))]))
    policy_set = PolicySet(chosen, default=draw(st.sampled_from([*codes, *codes, None])))
    alike = draw(inputs(sqlite=draw(st.booleans())))
    customers = []
    invoice = 1
    for customer_id in range(1, draw(st.integers(min_value=1, max_value=5)) + 1):
        rows = draw(customer_rows(customer_id, invoice, alike, every=customer_id == 1))
        invoice += len(rows)
        customers.append((customer_id, rows))
        assigned = draw(st.sampled_from([None] * 4 + [*codes, "withdrawn"]))  # "withdrawn": no such policy
        if assigned is not None:
            policy_set.customer[customer_id] = assigned
        for row in rows:
            if draw(st.integers(min_value=0, max_value=9)) == 0:
                policy_set.invoice[row[0]] = draw(st.sampled_from(codes))
    currencies = st.sampled_from(("EUR", "CZK", "JPY"))
    lookups = Lookups(
        has_email={c for c, _ in customers if draw(st.booleans())},
        credit={
            c: draw(st.dictionaries(currencies, st.sampled_from(AMOUNTS), max_size=2))
            for c, _ in customers
            if draw(st.integers(min_value=0, max_value=3)) == 0
        },
        policy_of_customer=dict(policy_set.customer),
    )
    sending = {code: draw(st.sampled_from([None, None, "not a sending day: Saturday"])) for code in codes}
    return policy_set, lookups, sending, customers


@settings(deadline=None, max_examples=200)
@given(runs(), st.sampled_from([2, Planner.MAX_REMEMBERED, Planner.MAX_REMEMBERED]))
def test_the_planner_decides_every_invoice_as_decide_does(run, remembered):
    policy_set, lookups, sending, customers = run
    planner = Planner(TODAY, policy_set, lookups, sending)
    planner.MAX_REMEMBERED = remembered  # also when what it remembers is dropped halfway
    afresh = Planner(TODAY, policy_set, lookups, sending, remember=False)
    for customer_id, rows in customers:
        plan = planner.plan(customer_id, rows)
        looked, notice, top_code, item_codes = reference_plan(customer_id, rows, TODAY, policy_set, lookups, sending)
        assert [
            (row[0], d.policy, d.decision, d.overdue) for row, d in zip(plan.rows, plan.decided, strict=True)
        ] == looked
        assert plan.notice == notice
        assert (plan.policy.code if plan.policy else None) == top_code
        if plan.notice is not None:
            in_notice = list(zip(plan.notice.items, plan.in_notice, strict=True))
            assert {i.facts.invoice_id: d.policy for i, d in in_notice} == item_codes
            for item, d in in_notice:
                # The item's columns, its level's action under the invoice's own policy as before.
                own = policy_set.policies[item_codes[item.facts.invoice_id]]
                action, url = Action.NONE, ""
                if item.decision.reason == Reason.LEVEL:
                    level = own.level(item.decision.level) if item.decision.level <= own.last_level else None
                    if level is not None:
                        action, url = level.action, level.webhook_url
                decision = item.decision
                assert d.decision == decision
                assert d.item == (decision.level, decision.repetition, decision.reason.value, action.value, url)
        for d in plan.decided:
            decision = d.decision
            assert d.columns == (
                decision.reason.value,
                decision.level,
                decision.repetition,
                bulk.db_date(decision.next_possible_on),
                decision.detail[:40],
                d.policy,
            )
            assert d.sends == decision.sends
        assert [(lk.facts.invoice_id, lk.number, lk.policy, lk.decision) for lk in plan.looked] == [
            (inv_id, f"INV-{inv_id}", code, decision) for inv_id, code, decision, _ in looked
        ]
        again = afresh.plan(customer_id, rows)
        assert (again.notice, [d.decision for d in again.decided]) == (notice, [d for _, _, d, _ in looked])
    assert len(planner._decided) <= remembered


# Invoices that differ in one input only, and must not share a decision: a planner that left that
# input out of what it remembers decisions by would give the second the first one's.
LADDER = Policy(
    "standard",
    "Standard",
    (
        Level(1, "First", 7),
        Level(2, "Second", 21, min_days_since_previous=14),
        Level(3, "Last", 35, min_days_since_previous=14, repeat_every_days=14, repeat_max=1),
    ),
    pre_due=PreDue(3, {"EUR": 20000}),
    min_amounts={"EUR": 500, "CZK": 9000},
)
# The same thresholds, another ladder.
GENTLE = Policy("gentle", "Gentle", (Level(1, "Friendly", 30),), pre_due=LADDER.pre_due, min_amounts=LADDER.min_amounts)
AGO_14, AGO_5, SOON = TODAY - timedelta(days=14), TODAY - timedelta(days=5), TODAY + timedelta(days=5)
# amount, currency, due, on, paused, disputed, customer on/paused/disputed, level, repetitions,
# last notice, pre-due sent, stopped, handed over: level 1 went out 14 days ago, level 2 is due.
DUE_FOR_LEVEL_2 = (
    10000,
    "EUR",
    TODAY - timedelta(days=30),
    True,
    None,
    False,
    True,
    None,
    False,
    1,
    0,
    AGO_14,
    None,
    None,
    None,
)
DUE_FOR_REPEAT = (
    10000,
    "EUR",
    TODAY - timedelta(days=60),
    True,
    None,
    False,
    True,
    None,
    False,
    3,
    0,
    AGO_14,
    None,
    None,
    None,
)
DUE_FOR_PRE_DUE = (
    25000,
    "EUR",
    TODAY + timedelta(days=2),
    True,
    None,
    False,
    True,
    None,
    False,
    None,
    None,
    None,
    None,
    None,
    None,
)
ONE_INPUT_APART = {
    "amount": (DUE_FOR_LEVEL_2, 0, 40),
    "amount in another currency": ((10000, "CZK", *DUE_FOR_LEVEL_2[2:]), 0, 5000),
    "currency": ((40, *DUE_FOR_LEVEL_2[1:]), 1, "JPY"),  # 40 reaches as many thresholds in EUR as in JPY
    "due date": (DUE_FOR_LEVEL_2, 2, TODAY - timedelta(days=10)),
    "dunning enabled": (DUE_FOR_LEVEL_2, 3, False),
    "paused until": (DUE_FOR_LEVEL_2, 4, SOON),
    "disputed": (DUE_FOR_LEVEL_2, 5, True),
    "customer: dunning enabled": (DUE_FOR_LEVEL_2, 6, False),
    "customer: paused until": (DUE_FOR_LEVEL_2, 7, SOON),
    "customer: disputed": (DUE_FOR_LEVEL_2, 8, True),
    "level": (DUE_FOR_LEVEL_2, 9, 2),
    "repetitions": (DUE_FOR_REPEAT, 10, 1),
    "last notice": (DUE_FOR_LEVEL_2, 11, AGO_5),
    "pre-due sent": (DUE_FOR_PRE_DUE, 12, AGO_5),
    "stopped": (DUE_FOR_LEVEL_2, 13, AGO_5),
    "handed over": (DUE_FOR_LEVEL_2, 14, AGO_5),
}


@pytest.mark.parametrize("sqlite", [True, False], ids=["sqlite-form", "postgresql-form"])
@pytest.mark.parametrize("what", [*ONE_INPUT_APART, "policy"])
def test_invoices_one_input_apart_get_their_own_decisions(what, sqlite):
    policy_set = PolicySet({"standard": LADDER, "gentle": GENTLE}, default="standard")
    lookups = Lookups(set(), {}, {})
    if what == "policy":
        first, second = DUE_FOR_LEVEL_2, DUE_FOR_LEVEL_2
        lookups.policy_of_customer[2] = "gentle"
    else:
        first, column, value = ONE_INPUT_APART[what]
        second = (*first[:column], value, *first[column + 1 :])
    customers = [
        (customer_id, [(customer_id, customer_id, f"INV-{customer_id}", amount, *row_form(tuple(rest), sqlite))])
        for customer_id, (amount, *rest) in ((1, first), (2, second))
    ]
    sending: dict[str, str | None] = {"standard": None, "gentle": None}
    planner = Planner(TODAY, policy_set, lookups, sending)
    expected = [reference_plan(c, rows, TODAY, policy_set, lookups, sending)[0][0][2] for c, rows in customers]
    assert expected[0] != expected[1]
    assert [planner.plan(c, rows).decided[0].decision for c, rows in customers] == expected


def test_alike_invoices_share_one_decision():
    policy_set = PolicySet({"p": Policy("p", "P", (Level(1, "First", 7),), min_amounts={"EUR": 500})}, default="p")
    rows = [
        (n, 1, f"INV-{n}", 10000 + n, "EUR", "2026-02-01", 1, None, 0, 1, None, 0, None, None, None, None, None, None)
        for n in range(1, 50)
    ]
    planner = Planner(TODAY, policy_set, Lookups(set(), {}, {}), {"p": None})
    plan = planner.plan(1, rows)
    assert {d.decision for d in plan.decided} == {Decision(Reason.LEVEL, 1)}
    assert len({id(d) for d in plan.decided}) == 1  # decided once: all amounts reach the same thresholds
    assert len(planner._decided) == 1


def test_the_cycle_collector_is_paused_for_a_run_and_resumes_after_it():
    def failing_run() -> None:
        with cycle_collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("a run that fails")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        failing_run()
    assert gc.isenabled()
    gc.disable()
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
