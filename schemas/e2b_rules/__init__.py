"""E2B(R3) business-rule validation, the way a regulator checks a received ICSR batch.

    report = validate_file(data, Profile.FDA, schemas_dir=ich_schemas, today=date.today())
    findings = validate_batch(parse_batch(root), "ich", today=day, source=root)

Rule ids are stable: ``ICH.<element>.<kind>`` for the ICH core rules (kinds: ``required``,
``conditional``, ``length``, ``value``, ``nullflavor``, ``format``, ``precision``,
``future``, ``order``, ``consistency``, ``unique``, ``identifiable``, ``reference``,
``suspect``), FDA error ids (``R0019``, ``W0005`` ...) under the FDA profile, ``EMA.*`` for
EudraVigilance additions, and ``LOAD`` / ``XSD`` / ``PARSE`` for files that cannot be read.
The rule tables are Python (:mod:`schemas.e2b_rules.tables`); nothing is read at runtime.
"""

from schemas.e2b_rules.countries import EEA_COUNTRIES, ISO_COUNTRIES, is_country, is_eea
from schemas.e2b_rules.findings import Finding, Profile, Severity, ValidationReport
from schemas.e2b_rules.validate import (
    BATCH_XSD,
    FileInspection,
    MessageEntry,
    inspect_file,
    validate_batch,
    validate_file,
)

__all__ = [
    "BATCH_XSD",
    "EEA_COUNTRIES",
    "ISO_COUNTRIES",
    "FileInspection",
    "Finding",
    "MessageEntry",
    "Profile",
    "Severity",
    "ValidationReport",
    "inspect_file",
    "is_country",
    "is_eea",
    "validate_batch",
    "validate_file",
]
