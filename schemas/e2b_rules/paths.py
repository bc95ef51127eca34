"""Logical XPaths of E2B(R3) elements inside a batch, for findings.

Namespace prefixes are omitted (everything is in the HL7 default namespace) and positions
are 1-based; predicates name the ICH code that tells sibling observations apart, so a path
reads like the ICH implementation guide's own mapping tables.
"""

from __future__ import annotations

from typing import Final

from schemas.e2b_r3 import oids

__all__ = ["BATCH", "MessagePaths"]

BATCH: Final = "/MCCI_IN200100UV01"
_C11: Final = f"id[@root='{oids.MESSAGE_ID}']/@extension"
_C181: Final = f"id[@root='{oids.WORLDWIDE_CASE_ID}']/@extension"
_CHAR: Final = "subjectOf2/investigationCharacteristic[code/@code='{}']/value"
_OBS: Final = "component/observationEvent[code/@code='{}']/value"

#: N.1 header elements (relative to the batch root).
HEADER: Final[dict[str, str]] = {
    "N.1.1": f"{BATCH}/name/@code",
    "N.1.2": f"{BATCH}/id/@extension",
    "N.1.3": f"{BATCH}/sender/device/id/@extension",
    "N.1.4": f"{BATCH}/receiver/device/id/@extension",
    "N.1.5": f"{BATCH}/creationTime/@value",
}

#: Section C elements, relative to ``investigationEvent``.
REPORT: Final[dict[str, str]] = {
    "C.1.1": _C11,
    "C.1.3": _CHAR.format(oids.CHAR_REPORT_TYPE) + "/@code",
    "C.1.4": "effectiveTime/low/@value",
    "C.1.5": "availabilityTime/@value",
    "C.1.6.1": _OBS.format(oids.OBS_ADDITIONAL_DOCUMENTS),
    "C.1.6.1.r.1": "reference/document[code/@code='1']/title",
    "C.1.7": _OBS.format(oids.OBS_EXPEDITED),
    "C.1.8.1": _C181,
    "C.1.8.2": "outboundRelationship/relatedInvestigation[code/@code='1']"
    "/subjectOf2/controlActEvent/author/assignedEntity/code",
    "C.1.9.1": _CHAR.format(oids.CHAR_OTHER_CASE_IDS),
    "C.1.9.1.r": f"subjectOf1/controlActEvent/id[@root='{oids.OTHER_CASE_ID}']",
    "C.1.10.r": "outboundRelationship/relatedInvestigation[code/@nullFlavor='NA']",
    "C.1.11.1": _CHAR.format(oids.CHAR_NULLIFICATION) + "/@code",
    "C.1.11.2": _CHAR.format(oids.CHAR_NULLIFICATION_REASON) + "/originalText",
    "C.4.r.1": "reference/document[code/@code='2']/bibliographicDesignationText",
    "H.1": "text",
    "H.5.r": _OBS.format(oids.OBS_NATIVE_SUMMARY),
}

#: C.2.r elements, relative to the source's ``assignedEntity``.
SOURCE: Final[dict[str, str]] = {
    "C.2.r.1.1": "assignedPerson/name/prefix",
    "C.2.r.1.2": "assignedPerson/name/given[1]",
    "C.2.r.1.3": "assignedPerson/name/given[2]",
    "C.2.r.1.4": "assignedPerson/name/family",
    "C.2.r.2.1": "representedOrganization/assignedEntity/representedOrganization/name",
    "C.2.r.2.2": "representedOrganization/name",
    "C.2.r.2.3": "addr/streetAddressLine",
    "C.2.r.2.4": "addr/city",
    "C.2.r.2.5": "addr/state",
    "C.2.r.2.6": "addr/postalCode",
    "C.2.r.2.7": "telecom[starts-with(@value,'tel:')]",
    "C.2.r.3": "assignedPerson/asLocatedEntity/location/code/@code",
    "C.2.r.4": "assignedPerson/asQualifiedEntity/code/@code",
}

#: C.3 elements, relative to the sender's ``assignedEntity``.
SENDER: Final[dict[str, str]] = {
    "C.3.1": "code/@code",
    "C.3.2": "representedOrganization/assignedEntity/representedOrganization/name",
    "C.3.3.1": "representedOrganization/name",
    "C.3.3.2": "assignedPerson/name/prefix",
    "C.3.3.3": "assignedPerson/name/given[1]",
    "C.3.3.4": "assignedPerson/name/given[2]",
    "C.3.3.5": "assignedPerson/name/family",
    "C.3.4.1": "addr/streetAddressLine",
    "C.3.4.2": "addr/city",
    "C.3.4.3": "addr/state",
    "C.3.4.4": "addr/postalCode",
    "C.3.4.5": "assignedPerson/asLocatedEntity/location/code/@code",
    "C.3.4.6": "telecom[starts-with(@value,'tel:')]",
    "C.3.4.7": "telecom[starts-with(@value,'fax:')]",
    "C.3.4.8": "telecom[starts-with(@value,'mailto:')]",
}

#: D elements, relative to ``primaryRole``.
PATIENT: Final[dict[str, str]] = {
    "D": ".",
    "D.1": "player1/name",
    "D.1.1.1": f"player1/asIdentifiedEntity/id[@root='{oids.GP_RECORD}']",
    "D.1.1.2": f"player1/asIdentifiedEntity/id[@root='{oids.SPECIALIST_RECORD}']",
    "D.1.1.3": f"player1/asIdentifiedEntity/id[@root='{oids.HOSPITAL_RECORD}']",
    "D.1.1.4": f"player1/asIdentifiedEntity/id[@root='{oids.INVESTIGATION_NUMBER}']",
    "D.2.1": "player1/birthTime",
    "D.2.2": "subjectOf2/observation[code/@code='3']/value",
    "D.2.3": "subjectOf2/observation[code/@code='4']/value/@code",
    "D.5": "player1/administrativeGenderCode",
    "D.6": "subjectOf2/observation[code/@code='22']/value",
    "D.7.2": "subjectOf2/organizer[code/@code='1']/component/observation[code/@code='18']/value",
    "D.9.1": "player1/deceasedTime",
    "C.5": "subjectOf1/researchStudy",
    "C.5.2": "subjectOf1/researchStudy/title",
    "C.5.3": f"subjectOf1/researchStudy/id[@root='{oids.SPONSOR_STUDY_NUMBER}']",
    "C.5.4": "subjectOf1/researchStudy/code/@code",
}

#: E.i elements, relative to the reaction ``observation``.
REACTION: Final[dict[str, str]] = {
    "E.i": ".",
    "E.i.1.1a": "value/originalText",
    "E.i.1.1b": "value/originalText/@language",
    "E.i.1.2": "outboundRelationship2/observation[code/@code='30']/value",
    "E.i.2.1a": "value/@codeSystemVersion",
    "E.i.2.1b": "value/@code",
    "E.i.4": "effectiveTime/low/@value",
    "E.i.5": "effectiveTime/high/@value",
    "E.i.7": "outboundRelationship2/observation[code/@code='27']/value/@code",
    "E.i.9": "location/locatedEntity/locatedPlace/code/@code",
}

#: G.k elements, relative to the drug's ``substanceAdministration``.
DRUG: Final[dict[str, str]] = {
    "G.k": ".",
    "G.k.2.2": "consumable/instanceOfKind/kindOfProduct/name",
    "G.k.2.4": "consumable/instanceOfKind/subjectOf/productEvent/performer/assignedEntity"
    "/representedOrganization/addr/country",
    "G.k.3.1": "consumable/instanceOfKind/kindOfProduct/asManufacturedProduct"
    "/subjectOf/approval/id",
    "G.k.3.2": "consumable/instanceOfKind/kindOfProduct/asManufacturedProduct"
    "/subjectOf/approval/author/territorialAuthority/territory/code/@code",
    "G.k.3.3": "consumable/instanceOfKind/kindOfProduct/asManufacturedProduct"
    "/subjectOf/approval/holder/role/playingOrganization/name",
    "G.k.4.r": "outboundRelationship2/substanceAdministration",
    "G.k.7.r": "inboundRelationship/observation[code/@code='19']/value",
    "G.k.8": "inboundRelationship/act/code/@code",
    "G.k.11": "outboundRelationship2/observation[code/@code='2']/value",
}


class MessagePaths:
    """Paths inside the ``index``-th (1-based) ``PORR_IN049016UV`` of the batch."""

    __slots__ = ("message",)

    def __init__(self, index: int) -> None:
        self.message = f"{BATCH}/PORR_IN049016UV[{index}]"

    def n2(self, element: str) -> str:
        suffix = {
            "N.2.r.1": "id/@extension",
            "N.2.r.2": "sender/device/id/@extension",
            "N.2.r.3": "receiver/device/id/@extension",
            "N.2.r.4": "creationTime/@value",
            "C.1.2": "controlActProcess/effectiveTime/@value",
        }[element]
        return f"{self.message}/{suffix}"

    @property
    def ie(self) -> str:
        return f"{self.message}/controlActProcess/subject/investigationEvent"

    @property
    def role(self) -> str:
        return f"{self.ie}/component/adverseEventAssessment/subject1/primaryRole"

    def report(self, element: str) -> str:
        return f"{self.ie}/{REPORT.get(element, '.')}"

    def source(self, r: int, element: str | None = None) -> str:
        base = (
            f"{self.ie}/outboundRelationship[relatedInvestigation/code/@code='2'][{r}]"
            "/relatedInvestigation/subjectOf2/controlActEvent/author/assignedEntity"
        )
        if element == "C.2.r.5":
            return f"{self.ie}/outboundRelationship[relatedInvestigation/code/@code='2'][{r}]"
        return f"{base}/{SOURCE[element]}" if element in SOURCE else base

    def sender(self, element: str) -> str:
        base = f"{self.ie}/subjectOf1/controlActEvent/author/assignedEntity"
        return f"{base}/{SENDER[element]}" if element in SENDER else base

    def patient(self, element: str) -> str:
        return f"{self.role}/{PATIENT.get(element, '.')}"

    def reaction(self, i: int, element: str = "E.i") -> str:
        base = f"{self.role}/subjectOf2/observation[code/@code='29'][{i}]"
        if element.startswith("E.i.3.2") and len(element) == 8:
            code = {"a": "34", "b": "21", "c": "33", "d": "35", "e": "12", "f": "26"}[element[-1]]
            return f"{base}/outboundRelationship2/observation[code/@code='{code}']/value"
        return f"{base}/{REACTION.get(element, '.')}"

    def test(self, r: int) -> str:
        return f"{self.role}/subjectOf2/organizer[code/@code='3']/component[{r}]/observation"

    def drug(self, k: int, element: str = "G.k") -> str:
        base = (
            f"{self.role}/subjectOf2/organizer[code/@code='4']/component[{k}]"
            "/substanceAdministration"
        )
        return f"{base}/{DRUG.get(element, '.')}"

    def drug_role(self, drug_id: str) -> str:
        return (
            f"{self.ie}/component/adverseEventAssessment/component/causalityAssessment"
            f"[code/@code='20'][subject2/productUseReference/id/@root='{drug_id}']/value/@code"
        )

    def dosage(self, k: int, r: int) -> str:
        return f"{self.drug(k)}/outboundRelationship2[{r}]/substanceAdministration"

    def narrative(self, element: str) -> str:
        if element == "H.1":
            return f"{self.ie}/text"
        code = {"H.2": "3", "H.4": "1"}.get(element, "1")
        return (
            f"{self.ie}/component/adverseEventAssessment/component1/observationEvent"
            f"[author/assignedEntity/code/@code='{code}']/value"
        )
