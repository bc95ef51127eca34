"""ISO 3166-1 alpha-2 country codes (officially assigned, 249) plus the ``EU`` reservation,
and EU / EEA membership.

ICH E2B(R3) uses ISO 3166-1 alpha-2 for every country element (C.1.1 prefix, C.2.r.3,
C.3.4.5, C.5.1.r.2, E.i.9, G.k.2.4, G.k.3.2) and accepts the exceptionally reserved code
``EU`` (ICH core data elements, C.1.1 / C.2.r.3 business rules). Shipped in the package: the
product never reads reference files at runtime.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EEA_COUNTRIES", "EU_COUNTRIES", "ISO_COUNTRIES", "is_country", "is_eea"]

_ISO_3166_1_ALPHA_2: Final = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
VN VU WF WS YE YT ZA ZM ZW
"""

#: Every officially assigned ISO 3166-1 alpha-2 code, plus the reserved ``EU``.
ISO_COUNTRIES: Final[frozenset[str]] = frozenset(_ISO_3166_1_ALPHA_2.split()) | {"EU"}

#: The 27 EU member states (ISO codes; Greece is ``GR``).
EU_COUNTRIES: Final[frozenset[str]] = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)

#: The European Economic Area: the EU plus Iceland, Liechtenstein and Norway. ``EU`` itself
#: counts as EEA (a report attributed to the Union).
EEA_COUNTRIES: Final[frozenset[str]] = EU_COUNTRIES | {"IS", "LI", "NO", "EU"}


def is_country(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code or ``EU`` (case-sensitive, as sent)."""
    return code in ISO_COUNTRIES


def is_eea(code: str) -> bool:
    return code in EEA_COUNTRIES
