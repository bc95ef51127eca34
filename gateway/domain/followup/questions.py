"""What a follow-up request can ask a reporter: one member per piece of missing data.

The values are stable (they are stored with each request and echoed in numbered questions).
The order of the members is the planner's default priority: the four minimum criteria of a
valid ICSR first (GVP VI.B.2), then what serious or expedited cases need.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Question(StrEnum):
    # minimum criteria (an identifiable reporter, patient, suspect product and reaction)
    REPORTER_CONTACT = "reporter_contact"
    PATIENT_IDENTIFIER = "patient_identifier"  # initials, age, sex or date of birth
    SUSPECT_PRODUCT = "suspect_product"
    REACTION = "reaction"
    # what a serious or expedited case needs next
    OUTCOME = "outcome"
    PATIENT_AGE = "patient_age"
    PATIENT_SEX = "patient_sex"
    ONSET_DATE = "onset_date"
    SERIOUSNESS = "seriousness"  # hospitalised? life-threatening? …
    DOSE = "dose"
    ROUTE = "route"
    INDICATION = "indication"
    BATCH = "batch"
    MEDICAL_HISTORY = "medical_history"
    CONCOMITANT_DRUGS = "concomitant_drugs"
    RELEVANT_TESTS = "relevant_tests"
    DECHALLENGE = "dechallenge"
    RECHALLENGE = "rechallenge"

    @property
    def is_minimum_criterion(self) -> bool:
        return self in _MINIMUM


_MINIMUM = frozenset(
    {
        Question.REPORTER_CONTACT,
        Question.PATIENT_IDENTIFIER,
        Question.SUSPECT_PRODUCT,
        Question.REACTION,
    }
)


_VALUES = frozenset(q.value for q in Question)


def known_questions(values: Iterable[str]) -> tuple[Question, ...]:
    """Stored question values as members, in order; a value this version does not know (a
    request written by a newer or older release) is skipped, never guessed."""
    return tuple(Question(v) for v in values if v in _VALUES)
