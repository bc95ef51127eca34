"""The MedDRA checks: every reaction coded with an LLT that exists and is current in the
loaded dictionary, in its version, and consistent with the verbatim text."""

from __future__ import annotations

from gateway.domain.icsr import ICSR
from gateway.domain.meddra.coder import MedDRACoder
from gateway.domain.quality.items import CheckItem, Severity, check_item
from gateway.domain.quality.labels import reaction_label


def meddra_checks(icsr: ICSR, coder: MedDRACoder | None) -> list[CheckItem]:
    uncoded = [
        (f"reactions[{i}].term", f"{reaction_label(icsr, r.id)!r} has no MedDRA LLT (E.i.2.1b)")
        for i, r in enumerate(icsr.reactions)
        if r.term is None
    ]
    items = [
        check_item(
            "meddra.coded",
            "Every reaction coded with a MedDRA LLT",
            Severity.BLOCKING,
            uncoded,
            ok="every reaction has an LLT",
            applicable=bool(icsr.reactions),
        )
    ]
    coded = [(i, r) for i, r in enumerate(icsr.reactions) if r.term is not None]
    if coder is None:
        note = "no MedDRA dictionary loaded (ICSR_MEDDRA_DIR): not checked"
        items += [
            check_item(check_id, title, sev, ok=note, applicable=False)
            for check_id, title, sev in (
                ("meddra.known_current", "LLTs exist and are current", Severity.BLOCKING),
                ("meddra.version", "MedDRA version is the loaded one", Severity.WARNING),
                ("meddra.verbatim", "LLT consistent with the verbatim text", Severity.WARNING),
            )
        ]
        return items
    dictionary = coder.dictionary
    unknown: list[tuple[str, str]] = []
    old_version: list[tuple[str, str]] = []
    inconsistent: list[tuple[str, str]] = []
    for i, r in coded:
        assert r.term is not None
        path = f"reactions[{i}].term"
        llt = dictionary.llt(r.term.code)
        if llt is None:
            unknown.append((path, f"LLT {r.term.code} is not in MedDRA {dictionary.version}"))
        elif not llt.current:
            unknown.append(
                (path, f"LLT {r.term.code} {llt.name!r} is not current in {dictionary.version}")
            )
        if r.term.version != dictionary.version:
            old_version.append(
                (
                    path,
                    f"{reaction_label(icsr, r.id)!r} is coded in MedDRA {r.term.version}; "
                    f"the loaded version is {dictionary.version}",
                )
            )
        verbatims = [v for v in (r.verbatim_translation, r.verbatim_native) if v and v.strip()]
        results = [res for v in verbatims if (res := coder.code(v)) is not None]
        if results and all(res.llt_code != r.term.code for res in results):
            best = results[0]
            coded_name = llt.name if llt is not None else r.term.code
            inconsistent.append(
                (
                    path,
                    f"verbatim {best.verbatim!r} codes to LLT {best.llt_code} "
                    f"{best.llt_name!r} ({best.method}, score {best.score:.0f}), "
                    f"not to the coded {r.term.code} {coded_name!r}",
                )
            )
    return [
        *items,
        check_item(
            "meddra.known_current",
            "LLTs exist and are current",
            Severity.BLOCKING,
            unknown,
            ok=f"every LLT is current in MedDRA {dictionary.version}",
            applicable=bool(coded),
        ),
        check_item(
            "meddra.version",
            "MedDRA version is the loaded one",
            Severity.WARNING,
            old_version,
            ok=f"every term is coded in MedDRA {dictionary.version}",
            applicable=bool(coded),
        ),
        check_item(
            "meddra.verbatim",
            "LLT consistent with the verbatim text",
            Severity.WARNING,
            inconsistent,
            ok="each verbatim codes to its LLT (or the coder finds no other)",
            applicable=bool(coded),
        ),
    ]
