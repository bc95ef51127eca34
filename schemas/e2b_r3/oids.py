"""OIDs and fixed codes of the ICH E2B(R3) HL7 v3 message (ICH IG Appendix I / code lists)."""

from __future__ import annotations

from typing import Final

ICH: Final = "2.16.840.1.113883.3.989.2.1"

# --- identifier roots (ICH.3.x) ----------------------------------------------------------
BATCH_ID: Final = f"{ICH}.3.22"  # N.1.2
BATCH_SENDER: Final = f"{ICH}.3.13"  # N.1.3
BATCH_RECEIVER: Final = f"{ICH}.3.14"  # N.1.4
MESSAGE_ID: Final = f"{ICH}.3.1"  # N.2.r.1 and C.1.1
MESSAGE_SENDER: Final = f"{ICH}.3.11"  # N.2.r.2
MESSAGE_RECEIVER: Final = f"{ICH}.3.12"  # N.2.r.3
WORLDWIDE_CASE_ID: Final = f"{ICH}.3.2"  # C.1.8.1 and C.1.10.r
OTHER_CASE_ID: Final = f"{ICH}.3.3"  # C.1.9.1.r
AUTHORISATION_NUMBER: Final = f"{ICH}.3.4"  # G.k.3.1
SPONSOR_STUDY_NUMBER: Final = f"{ICH}.3.5"  # C.5.3
STUDY_REGISTRATION: Final = f"{ICH}.3.6"  # C.5.1.r.1
GP_RECORD: Final = f"{ICH}.3.7"  # D.1.1.1
SPECIALIST_RECORD: Final = f"{ICH}.3.8"  # D.1.1.2
HOSPITAL_RECORD: Final = f"{ICH}.3.9"  # D.1.1.3
INVESTIGATION_NUMBER: Final = f"{ICH}.3.10"  # D.1.1.4

# --- ICH code lists (ICH.1.x) ------------------------------------------------------------
CL_MESSAGE_TYPE: Final = f"{ICH}.1.1"  # N.1.1
CL_REPORT_TYPE: Final = f"{ICH}.1.2"  # C.1.3
CL_FIRST_SENDER: Final = f"{ICH}.1.3"  # C.1.8.2
CL_RECORD_SOURCE: Final = f"{ICH}.1.4"  # D.1.1.x
CL_NULLIFICATION: Final = f"{ICH}.1.5"  # C.1.11.1
CL_QUALIFICATION: Final = f"{ICH}.1.6"  # C.2.r.4
CL_SENDER_TYPE: Final = f"{ICH}.1.7"  # C.3.1
CL_STUDY_TYPE: Final = f"{ICH}.1.8"  # C.5.4
CL_AGE_GROUP: Final = f"{ICH}.1.9"  # D.2.3
CL_TERM_HIGHLIGHTED: Final = f"{ICH}.1.10"  # E.i.3.1
CL_OUTCOME: Final = f"{ICH}.1.11"  # E.i.7
CL_TEST_RESULT: Final = f"{ICH}.1.12"  # F.r.3.1
CL_DRUG_ROLE: Final = f"{ICH}.1.13"  # G.k.1
CL_ACTION_TAKEN: Final = f"{ICH}.1.15"  # G.k.8
CL_RECURRENCE: Final = f"{ICH}.1.16"  # G.k.9.i.4
CL_ADDITIONAL_INFO: Final = f"{ICH}.1.17"  # G.k.10.r
CL_PRODUCT_EVENT: Final = f"{ICH}.1.18"  # G.k.2.4 (retail supply)
CL_OBSERVATION: Final = f"{ICH}.1.19"  # observation codes
CL_ORGANIZER: Final = f"{ICH}.1.20"  # organizer codes
CL_AUTHOR: Final = f"{ICH}.1.21"  # source of comment: 1 sender, 2 native, 3 reporter
CL_RELATED_INVESTIGATION: Final = f"{ICH}.1.22"  # 1 initial report, 2 source report
CL_CHARACTERISTIC: Final = f"{ICH}.1.23"  # investigation characteristics
CL_DOCUMENT: Final = f"{ICH}.1.27"  # 1 documents held by sender, 2 literature

# --- external code systems ---------------------------------------------------------------
MEDDRA: Final = "2.16.840.1.113883.6.163"
COUNTRY: Final = "1.0.3166.1.2.2"  # ISO 3166-1 alpha-2
LANGUAGE: Final = "1.0.639.2"  # ISO 639-2
SEX: Final = "1.0.5218"  # ISO 5218
EDQM_DOSE_FORM: Final = "0.4.0.127.0.16.1.1.2.1"
EDQM_ROUTE: Final = "0.4.0.127.0.16.1.1.2.6"
UCUM: Final = "2.16.840.1.113883.6.8"
HL7_ROLE_CODE: Final = "2.16.840.1.113883.5.111"  # PAR (parent)
HL7_ACT_CODE: Final = "2.16.840.1.113883.5.4"  # PAT_ADV_EVNT
HL7_INTERPRETATION: Final = "2.16.840.1.113883.5.83"  # L / H reference range
HL7_INTERACTION: Final = "2.16.840.1.113883.1.6"
HL7_TRIGGER_EVENT: Final = "2.16.840.1.113883.1.18"

#: regional (FDA, MFDS, ...) OIDs start with this; elements using them are kept opaque
REGIONAL_PREFIX: Final = "2.16.840.1.113883.3.989.5."

# --- observation codes (CL_OBSERVATION) --------------------------------------------------
OBS_ADDITIONAL_DOCUMENTS: Final = "1"  # C.1.6.1
OBS_ADDITIONAL_INFO_TEXT: Final = "2"  # G.k.11
OBS_AGE: Final = "3"  # D.2.2 / D.10.2.2
OBS_AGE_GROUP: Final = "4"  # D.2.3
OBS_AUTOPSY: Final = "5"  # D.9.3
OBS_BLINDED: Final = "6"  # G.k.2.5
OBS_WEIGHT: Final = "7"  # D.3 / D.10.4
OBS_AUTOPSY_CAUSE: Final = "8"  # D.9.4.r
OBS_ADDITIONAL_INFO_CODE: Final = "9"  # G.k.10.r
OBS_COMMENT: Final = "10"  # D.7.1.r.5, F.r.6, H.2, H.4
OBS_CONCOMITANT_THERAPY: Final = "11"  # D.7.3
OBS_CONGENITAL: Final = "12"  # E.i.3.2e
OBS_CONTINUING: Final = "13"  # D.7.1.r.3
OBS_CUMULATIVE_DOSE: Final = "14"  # G.k.5
OBS_DIAGNOSIS: Final = "15"  # H.3.r
OBS_GESTATION: Final = "16"  # D.2.2.1 / G.k.6
OBS_HEIGHT: Final = "17"  # D.4 / D.10.5
OBS_HISTORY_TEXT: Final = "18"  # D.7.2 / D.10.7.2
OBS_INDICATION: Final = "19"  # G.k.7.r / D.8.r.6
OBS_LIFE_THREATENING: Final = "21"
OBS_LMP: Final = "22"  # D.6 / D.10.3
OBS_EXPEDITED: Final = "23"  # C.1.7
OBS_MEDICAL_CONFIRMATION: Final = "24"  # E.i.8
OBS_MORE_INFO: Final = "25"  # F.r.7
OBS_OTHER_MEDICALLY_IMPORTANT: Final = "26"
OBS_OUTCOME: Final = "27"  # E.i.7
OBS_PARENT_ROUTE: Final = "28"  # G.k.4.r.11
OBS_REACTION: Final = "29"  # E.i / D.8.r.7
OBS_TRANSLATION: Final = "30"  # E.i.1.2
OBS_RECURRENCE: Final = "31"  # G.k.9.i.4
OBS_REPORTED_CAUSE: Final = "32"  # D.9.2.r
OBS_HOSPITALISATION: Final = "33"
OBS_DEATH: Final = "34"
OBS_DISABLING: Final = "35"
OBS_NATIVE_SUMMARY: Final = "36"  # H.5.r
OBS_TERM_HIGHLIGHTED: Final = "37"  # E.i.3.1
OBS_FAMILY_HISTORY: Final = "38"  # D.7.1.r.6
OBS_CAUSALITY: Final = "39"  # G.k.9.i.2.r
OBS_DRUG_ROLE: Final = "20"  # G.k.1

# organizer codes (CL_ORGANIZER)
ORG_MEDICAL_HISTORY: Final = "1"
ORG_DRUG_HISTORY: Final = "2"
ORG_TESTS: Final = "3"
ORG_DRUGS: Final = "4"

# investigation characteristic codes (CL_CHARACTERISTIC)
CHAR_REPORT_TYPE: Final = "1"
CHAR_OTHER_CASE_IDS: Final = "2"
CHAR_NULLIFICATION: Final = "3"
CHAR_NULLIFICATION_REASON: Final = "4"

# author codes (CL_AUTHOR)
AUTHOR_SENDER: Final = "1"
AUTHOR_NATIVE: Final = "2"
AUTHOR_REPORTER: Final = "3"
