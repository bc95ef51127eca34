"""E2B(R3) code lists as enums; the member value is the code transmitted.

All are plain ``Enum`` (not ``IntEnum``) so a code never compares equal to a bare int or
bool by accident; use ``.code`` for the transmitted text and ``from_code`` to read it.
"""

from __future__ import annotations

from enum import Enum
from typing import Self


class E2BCode(Enum):
    """Base for E2B code lists: adds the wire form in both directions."""

    @property
    def code(self) -> str:
        return str(self.value)

    @classmethod
    def from_code(cls, code: str | int) -> Self:
        """Read a transmitted code ("1" or 1); raises ValueError naming the list."""
        by_code = _BY_CODE.get(cls)
        if by_code is None:
            by_code = _BY_CODE[cls] = {str(m.value): m for m in reversed(cls)}
        member = by_code.get(code) if type(code) is str else None
        if member is None:
            member = by_code.get(str(code).strip())
            if member is None:
                raise ValueError(f"{code!r} is not a {cls.__name__} code")
        return member  # type: ignore[return-value]


#: per code list: transmitted code -> member (filled on first use by ``from_code``)
_BY_CODE: dict[type[E2BCode], dict[str, E2BCode]] = {}


class ReportType(E2BCode):
    """C.1.3 Type of report."""

    SPONTANEOUS = 1
    STUDY = 2
    OTHER = 3
    NOT_AVAILABLE_TO_SENDER = 4


class FirstSender(E2BCode):
    """C.1.8.2 First sender of this case."""

    REGULATOR = 1
    OTHER = 2


class NullificationAmendment(E2BCode):
    """C.1.11.1 Report nullification / amendment."""

    NULLIFICATION = 1
    AMENDMENT = 2


class Qualification(E2BCode):
    """C.2.r.4 Qualification of the primary source (missing defaults to CONSUMER)."""

    PHYSICIAN = 1
    PHARMACIST = 2
    OTHER_HEALTH_PROFESSIONAL = 3
    LAWYER = 4
    CONSUMER = 5

    @property
    def is_health_professional(self) -> bool:
        return self in _HEALTH_PROFESSIONALS


_HEALTH_PROFESSIONALS = frozenset(
    {Qualification.PHYSICIAN, Qualification.PHARMACIST, Qualification.OTHER_HEALTH_PROFESSIONAL}
)


class SenderType(E2BCode):
    """C.3.1 Sender type."""

    PHARMACEUTICAL_COMPANY = 1
    REGULATORY_AUTHORITY = 2
    HEALTH_PROFESSIONAL = 3
    REGIONAL_PHARMACOVIGILANCE_CENTRE = 4
    WHO_COLLABORATING_CENTRE = 5
    OTHER = 6
    PATIENT_OR_CONSUMER = 7


class StudyType(E2BCode):
    """C.5.4 Study type where the reaction was observed."""

    CLINICAL_TRIAL = 1
    INDIVIDUAL_PATIENT_USE = 2
    OTHER_STUDY = 3


class Sex(E2BCode):
    """D.5 / D.10.6 Sex."""

    MALE = 1
    FEMALE = 2


class AgeGroup(E2BCode):
    """D.2.3 Patient age group (as per reporter)."""

    FOETUS = 0
    NEONATE = 1
    INFANT = 2
    CHILD = 3
    ADOLESCENT = 4
    ADULT = 5
    ELDERLY = 6


class TermHighlighted(E2BCode):
    """E.i.3.1 Term highlighted by the reporter (combined with seriousness)."""

    YES_NOT_SERIOUS = 1
    NO_NOT_SERIOUS = 2
    YES_SERIOUS = 3
    NO_SERIOUS = 4


class SeriousnessCriterion(E2BCode):
    """E.i.3.2a-f, valued with the HL7 observation code of each criterion."""

    DEATH = 34  # E.i.3.2a
    LIFE_THREATENING = 21  # E.i.3.2b
    HOSPITALISATION = 33  # E.i.3.2c caused / prolonged
    DISABLING = 35  # E.i.3.2d disabling / incapacitating
    CONGENITAL_ANOMALY = 12  # E.i.3.2e congenital anomaly / birth defect
    OTHER_MEDICALLY_IMPORTANT = 26  # E.i.3.2f


class ReactionOutcome(E2BCode):
    """E.i.7 Outcome of the reaction at the time of last observation."""

    UNKNOWN = 0
    RECOVERED = 1
    RECOVERING = 2
    NOT_RECOVERED = 3
    RECOVERED_WITH_SEQUELAE = 4
    FATAL = 5


class TestResultCode(E2BCode):
    """F.r.3.1 Test result (code), for results a number cannot describe."""

    __test__ = False  # not a pytest test class despite the name

    POSITIVE = 1
    NEGATIVE = 2
    BORDERLINE = 3
    INCONCLUSIVE = 4


class ResultQualifier(Enum):
    """F.r.3.2 qualifier of a numeric result (sent as an HL7 interval bound)."""

    LESS_THAN = "<"
    LESS_OR_EQUAL = "<="
    GREATER_THAN = ">"
    GREATER_OR_EQUAL = ">="


class DrugRole(E2BCode):
    """G.k.1 Characterisation of drug role (a case needs at least one of 1, 3 or 4)."""

    SUSPECT = 1
    CONCOMITANT = 2
    INTERACTING = 3
    DRUG_NOT_ADMINISTERED = 4


class ActionTaken(E2BCode):
    """G.k.8 Action(s) taken with drug."""

    UNKNOWN = 0
    DRUG_WITHDRAWN = 1
    DOSE_REDUCED = 2
    DOSE_INCREASED = 3
    DOSE_NOT_CHANGED = 4
    NOT_APPLICABLE = 9


class RechallengeResult(E2BCode):
    """G.k.9.i.4 Did the reaction recur on re-administration? (omit when unknown)."""

    RECURRED = 1  # rechallenge done, reaction recurred
    DID_NOT_RECUR = 2  # rechallenge done, reaction did not recur
    OUTCOME_UNKNOWN = 3  # rechallenge done, outcome unknown
    NOT_DONE = 4  # no rechallenge; recurrence not applicable


class AdditionalDrugInfo(E2BCode):
    """G.k.10.r Additional information on drug (coded)."""

    COUNTERFEIT = 1
    OVERDOSE = 2
    TAKEN_BY_FATHER = 3
    TAKEN_BEYOND_EXPIRY = 4
    BATCH_TESTED_WITHIN_SPECIFICATIONS = 5
    BATCH_TESTED_NOT_WITHIN_SPECIFICATIONS = 6
    MEDICATION_ERROR = 7
    MISUSE = 8
    ABUSE = 9
    OCCUPATIONAL_EXPOSURE = 10
    OFF_LABEL_USE = 11
