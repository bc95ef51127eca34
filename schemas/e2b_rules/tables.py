"""Reference data of the rules, encoded from the ICH E2B(R3) core data elements list
(``ich-core-data-elements-v1.csv``: MAX LENGTH, VALUE ALLOWED and the nullFlavor columns).

Each table row is ``(element id, model attribute, limit or allowed set)``; the scope (which
record the attribute lives on) is the table's name. Only the elements these rules check are
listed; the element ids are the CSV's.
"""

from __future__ import annotations

from typing import Final

from gateway.domain.values import NullFlavor
from schemas.e2b_r3 import oids

__all__ = [
    "AGE_UNITS",
    "CODE_LISTS",
    "LENGTHS",
    "NULL_FLAVORS",
    "SERIOUSNESS_CODES",
]

Row = tuple[str, str, int]

#: MAX LENGTH per scope (AN elements; characters).
LENGTHS: Final[dict[str, tuple[Row, ...]]] = {
    "batch": (
        ("N.1.2", "batch_id", 100),
        ("N.1.3", "sender_id", 60),
        ("N.1.4", "receiver_id", 60),
    ),
    "message": (
        ("N.2.r.1", "message_id", 100),
        ("N.2.r.2", "sender_id", 60),
        ("N.2.r.3", "receiver_id", 60),
    ),
    "report": (
        ("C.1.1", "safety_report_id", 100),
        ("C.1.8.1", "worldwide_case_id", 100),
        ("C.1.11.2", "nullification_amendment_reason", 2000),
    ),
    "source": (
        ("C.2.r.1.1", "title", 50),
        ("C.2.r.1.2", "given_name", 60),
        ("C.2.r.1.3", "middle_name", 60),
        ("C.2.r.1.4", "family_name", 60),
        ("C.2.r.2.1", "organisation", 60),
        ("C.2.r.2.2", "department", 60),
        ("C.2.r.2.3", "street", 100),
        ("C.2.r.2.4", "city", 35),
        ("C.2.r.2.5", "state", 40),
        ("C.2.r.2.6", "postcode", 15),
        ("C.2.r.2.7", "telephone", 33),
        ("C.2.r.3", "country", 2),
    ),
    "sender": (
        ("C.3.2", "organisation", 100),
        ("C.3.3.1", "department", 60),
        ("C.3.3.2", "title", 50),
        ("C.3.3.3", "given_name", 60),
        ("C.3.3.4", "middle_name", 60),
        ("C.3.3.5", "family_name", 60),
        ("C.3.4.1", "street", 100),
        ("C.3.4.2", "city", 35),
        ("C.3.4.3", "state", 40),
        ("C.3.4.4", "postcode", 15),
        ("C.3.4.5", "country", 2),
        ("C.3.4.6", "telephone", 33),
        ("C.3.4.7", "fax", 33),
        ("C.3.4.8", "email", 100),
    ),
    "study": (
        ("C.5.2", "name", 2000),
        ("C.5.3", "sponsor_study_number", 50),
    ),
    "patient": (
        ("D.1", "name_or_initials", 60),
        ("D.1.1.1", "gp_record_number", 20),
        ("D.1.1.2", "specialist_record_number", 20),
        ("D.1.1.3", "hospital_record_number", 20),
        ("D.1.1.4", "investigation_number", 20),
        ("D.7.2", "medical_history_text", 10000),
    ),
    "reaction": (
        ("E.i.1.1a", "verbatim_native", 250),
        ("E.i.1.1b", "verbatim_language", 3),
        ("E.i.1.2", "verbatim_translation", 250),
        ("E.i.9", "country", 2),
    ),
    "test": (
        ("F.r.2.1", "name", 250),
        ("F.r.3.3", "result_unit", 50),
        ("F.r.3.4", "result_text", 2000),
        ("F.r.4", "normal_low", 50),
        ("F.r.5", "normal_high", 50),
        ("F.r.6", "comments", 2000),
    ),
    "drug": (
        ("G.k.2.2", "name_as_reported", 250),
        ("G.k.2.4", "country_obtained", 2),
        ("G.k.3.1", "authorisation_number", 35),
        ("G.k.3.2", "authorisation_country", 2),
        ("G.k.3.3", "authorisation_holder", 60),
        ("G.k.11", "additional_info_text", 2000),
    ),
    "dosage": (
        ("G.k.4.r.7", "batch_lot", 35),
        ("G.k.4.r.8", "text", 2000),
        ("G.k.4.r.9.1", "dose_form", 60),
        ("G.k.4.r.10.1", "route", 60),
        ("G.k.4.r.11.1", "parent_route", 60),
    ),
    "indication": (("G.k.7.r.1", "text", 250),),
    "assessment": (
        ("G.k.9.i.2.r.1", "source", 60),
        ("G.k.9.i.2.r.2", "method", 60),
        ("G.k.9.i.2.r.3", "result", 60),
    ),
    "narrative": (
        ("H.1", "case_narrative", 100000),
        ("H.2", "reporter_comments", 20000),
        ("H.4", "sender_comments", 20000),
    ),
}

_M = NullFlavor.MSK
_U = NullFlavor.UNK
_A = NullFlavor.ASKU
_N = NullFlavor.NASK
NameNF = frozenset({_M, _A, _N})

NFRow = tuple[str, str, frozenset[NullFlavor]]

#: Allowed nullFlavors per scope (the CSV's NI..PINF columns); any other is rejected.
NULL_FLAVORS: Final[dict[str, tuple[NFRow, ...]]] = {
    "report": (("C.1.7", "fulfils_expedited_criteria", frozenset({NullFlavor.NI})),),
    "source": (
        ("C.2.r.1.1", "title", frozenset({_M, _U, _A, _N})),
        ("C.2.r.1.2", "given_name", NameNF),
        ("C.2.r.1.3", "middle_name", NameNF),
        ("C.2.r.1.4", "family_name", NameNF),
        ("C.2.r.2.1", "organisation", NameNF),
        ("C.2.r.2.2", "department", NameNF),
        ("C.2.r.2.3", "street", NameNF),
        ("C.2.r.2.4", "city", NameNF),
        ("C.2.r.2.5", "state", NameNF),
        ("C.2.r.2.6", "postcode", NameNF),
        ("C.2.r.2.7", "telephone", NameNF),
        ("C.2.r.3", "country", frozenset({_M, _U, _A, _N})),
        ("C.2.r.4", "qualification", frozenset({_U})),
    ),
    "literature": (("C.4.r.1", "reference", frozenset({_A, _N})),),
    "study": (
        ("C.5.2", "name", frozenset({_A, _N})),
        ("C.5.3", "sponsor_study_number", frozenset({_A, _N})),
    ),
    "patient": (
        ("D.1", "name_or_initials", frozenset({_M, _U, _A, _N})),
        ("D.1.1.1", "gp_record_number", frozenset({_M})),
        ("D.1.1.2", "specialist_record_number", frozenset({_M})),
        ("D.1.1.3", "hospital_record_number", frozenset({_M})),
        ("D.1.1.4", "investigation_number", frozenset({_M})),
        ("D.2.1", "birth_date", frozenset({_M})),
        ("D.5", "sex", frozenset({_M, _U, _A, _N})),
        ("D.6", "last_menstrual_period", frozenset({_M})),
        ("D.7.2", "medical_history_text", frozenset({_M, _U, _A, _N})),
    ),
    "death": (
        ("D.9.1", "date", NameNF),
        ("D.9.3", "autopsy_done", frozenset({_M, _U, _A, _N})),
    ),
    "parent": (
        ("D.10.1", "identification", frozenset({_M, _U, _A, _N})),
        ("D.10.2.1", "birth_date", NameNF),
        ("D.10.3", "last_menstrual_period", NameNF),
        ("D.10.6", "sex", frozenset({_M, _U, _A, _N})),
    ),
    "reaction": (
        ("E.i.4", "start", NameNF),
        ("E.i.5", "end", NameNF),
    ),
    "test": (("F.r.1", "date", frozenset({_U})),),
    "dosage": (
        ("G.k.4.r.4", "start", NameNF),
        ("G.k.4.r.5", "end", NameNF),
        ("G.k.4.r.9.1", "dose_form", frozenset({_A, _N, _U})),
        ("G.k.4.r.10.1", "route", frozenset({_A, _N, _U})),
        ("G.k.4.r.11.1", "parent_route", frozenset({_A, _N, _U})),
    ),
    "indication": (("G.k.7.r.1", "text", frozenset({_A, _N, _U})),),
}

#: ICH code lists by code system OID: (element id, allowed codes). Checked on the XML, since
#: the parser refuses a code outside its enum before any rule could name the element.
CODE_LISTS: Final[dict[str, tuple[str, frozenset[str]]]] = {
    oids.CL_MESSAGE_TYPE: ("N.1.1", frozenset({"1"})),
    oids.CL_REPORT_TYPE: ("C.1.3", frozenset("1234")),
    oids.CL_FIRST_SENDER: ("C.1.8.2", frozenset("12")),
    oids.CL_NULLIFICATION: ("C.1.11.1", frozenset("12")),
    oids.CL_QUALIFICATION: ("C.2.r.4", frozenset("12345")),
    oids.CL_SENDER_TYPE: ("C.3.1", frozenset("1234567")),
    oids.CL_STUDY_TYPE: ("C.5.4", frozenset("123")),
    oids.CL_AGE_GROUP: ("D.2.3", frozenset("0123456")),
    oids.SEX: ("D.5", frozenset("12")),
    oids.CL_TERM_HIGHLIGHTED: ("E.i.3.1", frozenset("1234")),
    oids.CL_OUTCOME: ("E.i.7", frozenset("012345")),
    oids.CL_TEST_RESULT: ("F.r.3.1", frozenset("1234")),
    oids.CL_DRUG_ROLE: ("G.k.1", frozenset("1234")),
    oids.CL_ACTION_TAKEN: ("G.k.8", frozenset({"0", "1", "2", "3", "4", "9"})),
    oids.CL_RECURRENCE: ("G.k.9.i.4", frozenset("1234")),
    oids.CL_ADDITIONAL_INFO: ("G.k.10.r", frozenset(str(n) for n in range(1, 12))),
}

#: E.i.3.2a-f: observation code -> element id (value must be ``true`` or nullFlavor NI).
SERIOUSNESS_CODES: Final[dict[str, str]] = {
    oids.OBS_DEATH: "E.i.3.2a",
    oids.OBS_LIFE_THREATENING: "E.i.3.2b",
    oids.OBS_HOSPITALISATION: "E.i.3.2c",
    oids.OBS_DISABLING: "E.i.3.2d",
    oids.OBS_CONGENITAL: "E.i.3.2e",
    oids.OBS_OTHER_MEDICALLY_IMPORTANT: "E.i.3.2f",
}

#: D.2.2b: UCUM year, month, week, day, hour and decade.
AGE_UNITS: Final[frozenset[str]] = frozenset({"10.a", "a", "mo", "wk", "d", "h", "{decade}"})
