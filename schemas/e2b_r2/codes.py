"""E2B(R2) code lists and their explicit mapping to the domain (E2B(R3)) code lists.

R2 and R3 lists differ in places, so nothing here relies on the numbers being equal:
reaction outcome "unknown" is 6 in R2 and 0 in R3, action taken "unknown" / "not
applicable" are 5 / 6 in R2 and 0 / 9 in R3, R2 has no drug role 4 (drug not
administered), no age group 0 (foetus) and no sender type 7 (patient / consumer).
Units are R2 three-digit codes on one side and UCUM on the other.
"""

from __future__ import annotations

from typing import Final

from gateway.domain.codes import (
    ActionTaken,
    AgeGroup,
    DrugRole,
    Qualification,
    ReactionOutcome,
    RechallengeResult,
    ReportType,
    SenderType,
    Sex,
    StudyType,
    TermHighlighted,
)
from gateway.domain.partial_date import DatePrecision, PartialDate
from gateway.domain.values import NullFlavor

# --- dates ----------------------------------------------------------------------------

FMT_SECOND: Final = "204"  # CCYYMMDDHHMMSS
FMT_MINUTE: Final = "203"  # CCYYMMDDHHMM
FMT_DAY: Final = "102"  # CCYYMMDD
FMT_MONTH: Final = "610"  # CCYYMM
FMT_YEAR: Final = "602"  # CCYY

#: format code -> the PartialDate precision it carries (and its text length)
PRECISION_BY_FORMAT: Final[dict[str, DatePrecision]] = {
    FMT_SECOND: DatePrecision.SECOND,
    FMT_MINUTE: DatePrecision.MINUTE,
    FMT_DAY: DatePrecision.DAY,
    FMT_MONTH: DatePrecision.MONTH,
    FMT_YEAR: DatePrecision.YEAR,
}
_LENGTH = {
    DatePrecision.YEAR: 4,
    DatePrecision.MONTH: 6,
    DatePrecision.DAY: 8,
    DatePrecision.MINUTE: 12,
    DatePrecision.SECOND: 14,
}

#: the formats each kind of R2 date accepts (ICH ICSR 2.1 DTD field values)
DATE_FORMATS: Final = (FMT_DAY, FMT_MONTH, FMT_YEAR)
REACTION_DATE_FORMATS: Final = (FMT_MINUTE, FMT_DAY, FMT_MONTH, FMT_YEAR)
MESSAGE_DATE_FORMATS: Final = (FMT_SECOND,)


def parse_date(fmt: str | None, text: str) -> PartialDate:
    """Read an R2 date with its format code; without a code the length decides."""
    text = text.strip()
    if fmt is None:
        fmt = next((f for f, p in PRECISION_BY_FORMAT.items() if _LENGTH[p] == len(text)), "")
    precision = PRECISION_BY_FORMAT.get(fmt.strip())
    if precision is None:
        raise ValueError(f"unknown R2 date format code {fmt!r}")
    if len(text) != _LENGTH[precision] or not text.isdigit():
        raise ValueError(f"R2 date {text!r} does not match format {fmt} ({precision.name})")
    return PartialDate.parse(text)


def format_date(value: PartialDate, allowed: tuple[str, ...]) -> tuple[str, str, str | None]:
    """``(format code, text, what was lost or None)`` for the most precise allowed format.

    R2 dates have no time zone; a date more precise than every allowed format is cut down
    (never rounded up), and a date less precise than all of them cannot be written.
    """
    lost: list[str] = []
    fits = [f for f in allowed if PRECISION_BY_FORMAT[f] <= value.precision]
    if not fits:
        raise ValueError(f"a {value.precision.name} date cannot be written in {allowed}")
    fmt = max(fits, key=lambda f: PRECISION_BY_FORMAT[f].value)
    target = PRECISION_BY_FORMAT[fmt]
    if target < value.precision:
        lost.append(f"precision {value.precision.name} cut to {target.name} (format {fmt})")
    if value.utc_offset is not None:
        lost.append("time zone offset (R2 dates have none)")
    plain = PartialDate.parse(value.format()[: _LENGTH[target]])
    return fmt, plain.format(), "; ".join(lost) or None


# --- yes / no -------------------------------------------------------------------------

YES: Final = "1"
NO: Final = "2"
UNKNOWN_3: Final = "3"  # 3 = unknown in the yes/no/unknown lists (B.1.7.1d, B.1.9.3, B.4.k.17.1)


def yes_no(value: bool) -> str:
    return YES if value else NO


def read_yes_no(code: str) -> bool:
    if code == YES:
        return True
    if code == NO:
        return False
    raise ValueError(f"{code!r} is not 1 (yes) or 2 (no)")


def yes_no_unknown(value: bool | NullFlavor) -> str | None:
    """1 / 2 / 3 (unknown: nullFlavor UNK); None for nullFlavors R2 cannot express."""
    if value is NullFlavor.UNK:
        return UNKNOWN_3
    if isinstance(value, bool):
        return yes_no(value)
    return None


def read_yes_no_unknown(code: str) -> bool | NullFlavor:
    return NullFlavor.UNK if code == UNKNOWN_3 else read_yes_no(code)


# --- code lists -----------------------------------------------------------------------

#: B.2.i.8 reactionoutcome (R2) <-> E.i.7 (R3): R2 6 = unknown, R3 0 = unknown
OUTCOME_FROM_R2: Final[dict[str, ReactionOutcome]] = {
    "1": ReactionOutcome.RECOVERED,
    "2": ReactionOutcome.RECOVERING,
    "3": ReactionOutcome.NOT_RECOVERED,
    "4": ReactionOutcome.RECOVERED_WITH_SEQUELAE,
    "5": ReactionOutcome.FATAL,
    "6": ReactionOutcome.UNKNOWN,
}
OUTCOME_TO_R2: Final = {v: k for k, v in OUTCOME_FROM_R2.items()}

#: B.4.k.16 actiondrug (R2) <-> G.k.8 (R3): R2 5 / 6 = unknown / n.a., R3 0 / 9
ACTION_FROM_R2: Final[dict[str, ActionTaken]] = {
    "1": ActionTaken.DRUG_WITHDRAWN,
    "2": ActionTaken.DOSE_REDUCED,
    "3": ActionTaken.DOSE_INCREASED,
    "4": ActionTaken.DOSE_NOT_CHANGED,
    "5": ActionTaken.UNKNOWN,
    "6": ActionTaken.NOT_APPLICABLE,
}
ACTION_TO_R2: Final = {v: k for k, v in ACTION_FROM_R2.items()}

#: B.1.5 / B.1.10.6 sex: 1 male, 2 female, 0 unknown, 9 not specified (no information)
SEX_FROM_R2: Final[dict[str, Sex | NullFlavor]] = {
    "1": Sex.MALE,
    "2": Sex.FEMALE,
    "0": NullFlavor.UNK,
    "9": NullFlavor.NI,
}
SEX_TO_R2: Final = {v: k for k, v in SEX_FROM_R2.items()}

#: B.4.k.1 drugcharacterization: R2 has no 4 (drug not administered)
ROLE_FROM_R2: Final[dict[str, DrugRole]] = {
    "1": DrugRole.SUSPECT,
    "2": DrugRole.CONCOMITANT,
    "3": DrugRole.INTERACTING,
}
ROLE_TO_R2: Final = {v: k for k, v in ROLE_FROM_R2.items()}

#: A.2.1.4 qualification (same numbers as C.2.r.4)
QUALIFICATION_FROM_R2: Final = {m.code: m for m in Qualification}
QUALIFICATION_TO_R2: Final = {m: m.code for m in Qualification}
#: A.1.4 report type (same numbers as C.1.3)
REPORT_TYPE_FROM_R2: Final = {m.code: m for m in ReportType}
REPORT_TYPE_TO_R2: Final = {m: m.code for m in ReportType}
#: A.2.3.3 observestudytype (same numbers as C.5.4)
STUDY_TYPE_FROM_R2: Final = {m.code: m for m in StudyType}
STUDY_TYPE_TO_R2: Final = {m: m.code for m in StudyType}
#: A.3.1.1 sendertype 1..6 (R3 adds 7 patient / consumer)
SENDER_TYPE_FROM_R2: Final[dict[str, SenderType]] = {
    m.code: m for m in SenderType if m is not SenderType.PATIENT_OR_CONSUMER
}
SENDER_TYPE_TO_R2: Final = {v: k for k, v in SENDER_TYPE_FROM_R2.items()}
#: B.1.2.3 patientagegroup 1..6 (R3 adds 0 foetus)
AGE_GROUP_FROM_R2: Final[dict[str, AgeGroup]] = {
    m.code: m for m in AgeGroup if m is not AgeGroup.FOETUS
}
AGE_GROUP_TO_R2: Final = {v: k for k, v in AGE_GROUP_FROM_R2.items()}
#: B.2.i.3 termhighlighted (same numbers as E.i.3.1)
HIGHLIGHT_FROM_R2: Final = {m.code: m for m in TermHighlighted}
HIGHLIGHT_TO_R2: Final = {m: m.code for m in TermHighlighted}
#: B.4.k.17.1 drugrecurreadministration 1 yes / 2 no / 3 unknown -> G.k.9.i.4 1 / 2 / 3
RECUR_FROM_R2: Final[dict[str, RechallengeResult]] = {
    "1": RechallengeResult.RECURRED,
    "2": RechallengeResult.DID_NOT_RECUR,
    "3": RechallengeResult.OUTCOME_UNKNOWN,
}
RECUR_TO_R2: Final = {v: k for k, v in RECUR_FROM_R2.items()}

# --- units ----------------------------------------------------------------------------

#: 800-series time units <-> UCUM (ages, durations, intervals, gestation)
TIME_UNIT_FROM_R2: Final[dict[str, str]] = {
    "800": "10.a",  # decade
    "801": "a",
    "802": "mo",
    "803": "wk",
    "804": "d",
    "805": "h",
    "806": "min",
    "807": "s",
    "810": "{trimester}",
}
TIME_UNIT_TO_R2: Final = {v: k for k, v in TIME_UNIT_FROM_R2.items()}

#: B.4.k.5.2 / B.4.k.5.7 dose units 001..032 <-> UCUM
DOSE_UNIT_FROM_R2: Final[dict[str, str]] = {
    "001": "kg",
    "002": "g",
    "003": "mg",
    "004": "ug",
    "005": "ng",
    "006": "pg",
    "007": "mg/kg",
    "008": "ug/kg",
    "009": "mg/m2",
    "010": "ug/m2",
    "011": "l",
    "012": "ml",
    "013": "ul",
    "014": "Bq",
    "015": "GBq",
    "016": "MBq",
    "017": "kBq",
    "018": "Ci",
    "019": "mCi",
    "020": "uCi",
    "021": "nCi",
    "022": "mol",
    "023": "mmol",
    "024": "umol",
    "025": "[iU]",
    "026": "k[iU]",
    "027": "M[iU]",
    "028": "[iU]/kg",
    "029": "meq",
    "030": "%",
    "031": "[drp]",
    "032": "{DF}",
}
DOSE_UNIT_TO_R2: Final = {v: k for k, v in DOSE_UNIT_FROM_R2.items()}

# --- routes of administration ---------------------------------------------------------

#: E2B(R3) OID of the ICH (R2) route of administration list, usable in G.k.4.r.10.2b
ROUTE_OID: Final = "2.16.840.1.113883.3.989.2.1.1.14"

_ROUTE_NAMES: Final = (
    "Auricular (otic)|Buccal|Cutaneous|Dental|Endocervical|Endosinusial|Endotracheal|"
    "Epidural|Extra-amniotic|Hemodialysis|Intra corpus cavernosum|Intra-amniotic|"
    "Intra-arterial|Intra-articular|Intra-uterine|Intracardiac|Intracavernous|Intracerebral|"
    "Intracervical|Intracisternal|Intracorneal|Intracoronary|Intradermal|"
    "Intradiscal (intraspinal)|Intrahepatic|Intralesional|Intralymphatic|"
    "Intramedullar (bone marrow)|Intrameningeal|Intramuscular|Intraocular|Intrapericardial|"
    "Intraperitoneal|Intrapleural|Intrasynovial|Intratumor|Intrathecal|Intrathoracic|"
    "Intratracheal|Intravenous bolus|Intravenous drip|Intravenous (not otherwise specified)|"
    "Intravesical|Iontophoresis|Nasal|Occlusive dressing technique|Ophthalmic|Oral|"
    "Oropharingeal|Other|Parenteral|Periarticular|Perineural|Rectal|Respiratory (inhalation)|"
    "Retrobulbar|Sunconjunctival|Subcutaneous|Subdermal|Sublingual|Topical|Transdermal|"
    "Transmammary|Transplacental|Unknown|Urethral|Vaginal"
)
#: B.4.k.8 / B.4.k.9 route code 001..067 -> its name in the ICH list
ROUTE_NAME: Final[dict[str, str]] = {
    f"{i:03d}": name for i, name in enumerate(_ROUTE_NAMES.split("|"), start=1)
}
ROUTE_BY_NAME: Final = {name.casefold(): code for code, name in ROUTE_NAME.items()}
