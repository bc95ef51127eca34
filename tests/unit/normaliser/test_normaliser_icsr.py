"""Draft -> domain ICSR, language, narrative, coding through a coder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.domain.codes import DrugRole, Qualification, SeriousnessCriterion
from gateway.domain.icsr import ICSR
from gateway.domain.normaliser import Draft
from gateway.domain.values import NullFlavor

Normalise = Callable[..., Draft]
RECEIVED = datetime(2024, 3, 20, 9, 30, tzinfo=UTC)

TEXT = (
    "Dear team,\n\nI am a GP. My patient, a 58-year-old man, developed severe muscle pain "
    "on simvastatin 40 mg at night and was admitted to hospital with rhabdomyolysis. "
    "He did not die. He also takes lisinopril.\n\nRegards,\nDr Rakesh Patel"
)


@dataclass(frozen=True)
class FakeResult:
    llt_code: str
    score: float = 100.0
    needs_review: bool = False
    version: str = "27.0"


class FakeCoder:
    """Codes only the words it knows, like a dictionary that lacks the reporter's phrasing."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.calls: list[str] = []

    def code(self, verbatim: str) -> FakeResult | None:
        self.calls.append(verbatim)
        code = self.known.get(verbatim.lower())
        return None if code is None else FakeResult(code)


def test_to_icsr_builds_domain_records(read: Normalise) -> None:
    draft = read(TEXT, email="r.patel@example.nhs.uk")
    icsr = draft.to_icsr(received_at=RECEIVED)
    assert isinstance(icsr, ICSR)
    (source,) = icsr.primary_sources
    assert source.qualification is Qualification.PHYSICIAN
    assert source.email == "r.patel@example.nhs.uk"
    assert source.family_name == "Patel"
    assert source.primary_for_regulatory_purposes
    assert icsr.patient is not None
    assert icsr.patient.concomitant_therapies is True
    assert [(d.name_as_reported, d.role) for d in icsr.drugs] == [
        ("simvastatin", DrugRole.SUSPECT),
        ("lisinopril", DrugRole.CONCOMITANT),
    ]
    assert icsr.drugs[0].dosages[0].dose is not None
    assert icsr.narrative.case_narrative == TEXT
    assert icsr.is_serious()
    assert icsr.validate_references() == ()
    assert all(r.verbatim_language == "eng" for r in icsr.reactions)


def test_seriousness_flags_are_true_or_ni_never_false(read: Normalise) -> None:
    icsr = read(TEXT).to_icsr(received_at=RECEIVED)
    for reaction in icsr.reactions:
        for criterion in SeriousnessCriterion:
            assert reaction.seriousness.flag(criterion) in (True, NullFlavor.NI)
    assert SeriousnessCriterion.DEATH not in {
        c for r in icsr.reactions for c in r.seriousness.criteria
    }
    rhabdo = next(r for r in icsr.reactions if r.verbatim_native == "rhabdomyolysis")
    assert SeriousnessCriterion.HOSPITALISATION in rhabdo.seriousness.criteria


def test_non_serious_report_has_only_ni_flags(read: Normalise) -> None:
    icsr = read("I took omeprazole and had a mild headache.").to_icsr(received_at=RECEIVED)
    assert not icsr.is_serious()
    (reaction,) = icsr.reactions
    assert all(reaction.seriousness.flag(c) is NullFlavor.NI for c in SeriousnessCriterion)


def test_coder_codes_the_verbatim_then_falls_back_to_the_term_hint(read: Normalise) -> None:
    coder = FakeCoder({"diarrhoea": "10012735"})
    draft = read("Con la metformina tengo diarrea.")
    icsr = draft.to_icsr(received_at=RECEIVED, coder=coder)
    (reaction,) = icsr.reactions
    assert reaction.term is not None
    assert reaction.term.code == "10012735"
    assert reaction.term.version == "27.0"
    assert coder.calls == ["diarrea", "Diarrhoea"]
    assert reaction.verbatim_native == "diarrea"
    assert reaction.verbatim_language == "spa"


def test_language_detection(read: Normalise) -> None:
    assert read("Hola, con el omeprazol me da dolor de cabeza.").language.value == "es"
    assert read("Hello, the omeprazole gives me headaches.").language.value == "en"
    unknown = read("Zentravia!!")
    assert unknown.language.derived


def test_narrative_is_the_reporters_words_unchanged(read: Normalise) -> None:
    text = "  rash  after Zentravia!!  \n"
    draft = read(text)
    assert draft.narrative.value == text
    assert draft.to_icsr(received_at=RECEIVED).narrative.case_narrative == text
