"""The differ of ICSR versions and the way values read on a form (no store, no PDF)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from gateway.domain.codes import ActionTaken, DrugRole, ReactionOutcome
from gateway.domain.drug import Dosage, Drug
from gateway.domain.icsr import ICSR
from gateway.domain.reaction import Reaction
from gateway.domain.values import NullFlavor, PartialDate, Quantity
from gateway.exports import field_text as ft
from gateway.exports.icsr_diff import diff


def _icsr(*drugs: Drug) -> ICSR:
    return ICSR(reactions=(Reaction(id="r1", verbatim_native="rash"),), drugs=drugs)


def test_diff_matches_drugs_by_local_id_so_reordering_is_no_change() -> None:
    a = Drug(id="a", role=DrugRole.SUSPECT, name_as_reported="A")
    b = Drug(id="b", role=DrugRole.CONCOMITANT, name_as_reported="B")
    assert diff(_icsr(a, b), _icsr(b, a)) == ()


def test_diff_names_the_changed_added_and_removed_leaves() -> None:
    a = Drug(id="a", name_as_reported="A", dosages=(Dosage(route="oral"),))
    before = _icsr(a)
    after = _icsr(
        replace(a, dosages=(Dosage(route="iv"),), action_taken=ActionTaken.DRUG_WITHDRAWN)
    )
    changes = {c.path: (c.kind, c.before, c.after) for c in diff(before, after)}
    assert changes == {
        "drugs[id=a].dosages[0].route": ("changed", "oral", "iv"),
        "drugs[id=a].action_taken": ("added", None, "1"),
    }
    removed = diff(after, replace(after, drugs=()))
    assert {c.kind for c in removed} == {"removed"}


def test_first_version_diff_lists_its_whole_content_as_added() -> None:
    changes = diff(None, _icsr())
    assert [(c.path, c.kind, c.after) for c in changes] == [
        ("reactions[id=r1].id", "added", "r1"),
        ("reactions[id=r1].verbatim_native", "added", "rash"),
    ]


def test_form_dates_keep_the_precision_the_reporter_gave() -> None:
    assert ft.form_date(PartialDate(year=2024, month=3, day=5)) == "05-MAR-2024"
    assert ft.form_date(PartialDate(year=2024, month=3)) == "MAR-2024"
    assert ft.form_date_es(PartialDate(year=2024, month=3, day=5)) == "05/03/2024"
    assert ft.form_date(NullFlavor.ASKU) == "ASKU"
    assert ft.form_date(None) == ""


def test_full_names_become_initials_and_initials_stay_as_given() -> None:
    assert ft.initials("María López Ruiz") == "M.L.R."
    assert ft.initials("MLR") == "MLR"
    assert ft.initials("J.D.") == "J.D."
    assert ft.initials(NullFlavor.MSK) == "MSK"


def test_dose_reads_amount_and_interval_in_english_and_spanish() -> None:
    dosage = Dosage(
        dose=Quantity(value=Decimal("500"), unit="mg"),
        interval=Quantity(value=Decimal("8"), unit="h"),
    )
    assert ft.dose(dosage) == "500 mg every 8 hours"
    daily = replace(dosage, interval=Quantity(value=Decimal("1"), unit="d"))
    assert ft.dose(daily, spanish=True) == "500 mg cada día"


def test_dechallenge_is_positive_only_when_the_drug_was_withdrawn_and_reactions_resolved() -> None:
    withdrawn = Drug(id="a", action_taken=ActionTaken.DRUG_WITHDRAWN)
    recovered = (ReactionOutcome.RECOVERED,)
    assert ft.abated_after_stopping(withdrawn, recovered) == "yes"
    assert ft.abated_after_stopping(withdrawn, (ReactionOutcome.NOT_RECOVERED,)) == "no"
    assert ft.abated_after_stopping(withdrawn, (None,)) is None
    unchanged = Drug(id="a", action_taken=ActionTaken.DOSE_NOT_CHANGED)
    assert ft.abated_after_stopping(unchanged, recovered) == "na"
