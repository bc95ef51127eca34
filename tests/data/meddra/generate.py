"""Regenerate the INVENTED MedDRA-layout fixtures from ``terms.txt``.

    .venv/bin/python tests/data/meddra/generate.py

writes ``tests/data/meddra`` (27.0, English, UTF-8), ``tests/data/meddra-v2`` (27.1: a few
LLTs non-current or moved) and ``tests/data/meddra-es`` (27.0, Spanish names for the
terms that have one in ``terms.txt``, latin-1 encoded as older distributions are).
Codes are assigned in file order: SOC 91xxxxxx, HLGT 92xxxxxx, HLT 93xxxxxx, PT
94xxxxxx (its PT-named LLT shares the code, as in MedDRA), other LLTs 96xxxxxx.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent

#: 27.1 changes: LLTs that become non-current, and LLTs moved to another PT (name, new PT)
NONCURRENT_IN_V2 = ("Cephalgia", "Fainting", "Giddiness", "Heartburn")
MOVED_IN_V2 = (("Heartburn", "Gastrooesophageal reflux disease"), ("Chest tightness", "Chest pain"))

README = """# Invented MedDRA-layout fixture ({what})

The codes and the hierarchy in these files are INVENTED for tests. They are not MedDRA
(MedDRA is licensed by ICH/MSSO; the product loads the user's own copy). Only the file
layout follows the MedDRA ASCII distribution. Regenerate with
`.venv/bin/python tests/data/meddra/generate.py` from `tests/data/meddra/terms.txt`.
"""


@dataclass
class Soc:
    code: str
    en: str
    es: str
    abbrev: str
    hlgt_code: str
    hlgt_en: str
    hlgt_es: str


@dataclass
class Hlt:
    code: str
    en: str
    es: str
    soc: Soc


@dataclass
class Llt:
    code: str
    en: str
    es: str | None
    pt_code: str
    current: bool = True


@dataclass
class Pt:
    code: str
    en: str
    es: str | None
    hlt: Hlt
    llts: list[Llt] = field(default_factory=list)
    secondary: list[Hlt] = field(default_factory=list)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split("|")]


def read_terms() -> list[Pt]:
    socs: list[Soc] = []
    hlts: dict[str, Hlt] = {}
    pts: list[Pt] = []
    current_hlt: Hlt | None = None
    llt_number = 0
    for raw in (HERE / "terms.txt").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        if raw.startswith("= "):
            _key, en, es, abbrev, hlgt_en, hlgt_es = _split(raw[2:])
            n = len(socs) + 1
            socs.append(Soc(f"91{n:06d}", en, es, abbrev, f"92{n:06d}", hlgt_en, hlgt_es))
        elif raw.startswith("- "):
            key, en, es = _split(raw[2:])
            hlts[key] = Hlt(f"93{len(hlts) + 1:06d}", en, es, socs[-1])
        elif raw.startswith("@"):
            current_hlt = hlts[raw[1:].strip()]
        elif raw.startswith("+ "):
            name, key = _split(raw[2:])
            next(p for p in pts if p.en == name).secondary.append(hlts[key])
        elif raw.startswith("  "):
            parts = _split(raw)
            llt_name = parts[0]
            llt_number += 1
            pt = pts[-1]
            pt.llts.append(
                Llt(
                    f"96{llt_number:06d}",
                    llt_name.lstrip("!"),
                    parts[1] if len(parts) > 1 else None,
                    pt.code,
                    current=not llt_name.startswith("!"),
                )
            )
        else:
            parts = _split(raw)
            assert current_hlt is not None, raw
            code = f"94{len(pts) + 1:06d}"
            pt_es = parts[1] if len(parts) > 1 else None
            pt = Pt(code, parts[0], pt_es, current_hlt)
            pt.llts.append(Llt(code, parts[0], pt_es, code))
            pts.append(pt)
    names = [llt.en.casefold() for pt in pts for llt in pt.llts]
    assert len(names) == len(set(names)), "LLT names must be unique"
    return pts


def _write(folder: Path, name: str, rows: list[list[str]], encoding: str) -> None:
    text = "".join("$".join(row) + "$\n" for row in rows)
    (folder / name).write_bytes(text.encode(encoding))


def write_distribution(
    target: Path, pts: list[Pt], *, version: str, language: str, spanish: bool = False
) -> None:
    folder = target / "MedAscii"
    folder.mkdir(parents=True, exist_ok=True)
    encoding = "latin-1" if spanish else "utf-8"

    def name(en: str, es: str | None) -> str:
        return (es or "") if spanish else en

    if spanish:
        pts = [p for p in pts if p.es]
    hlts = sorted(
        {h.code: h for p in pts for h in (p.hlt, *p.secondary)}.values(), key=lambda h: h.code
    )
    all_hlts = {h.code: h for h in hlts}
    socs = sorted({h.soc.code: h.soc for h in all_hlts.values()}.values(), key=lambda s: s.code)
    _write(folder, "meddra_release.asc", [[version, language, "", "", ""]], encoding)
    _write(
        folder, "soc.asc", [[s.code, name(s.en, s.es), s.abbrev, *[""] * 7] for s in socs], encoding
    )
    _write(
        folder,
        "hlgt.asc",
        [[s.hlgt_code, name(s.hlgt_en, s.hlgt_es), *[""] * 7] for s in socs],
        encoding,
    )
    _write(folder, "hlt.asc", [[h.code, name(h.en, h.es), *[""] * 7] for h in hlts], encoding)
    _write(folder, "soc_hlgt.asc", [[s.code, s.hlgt_code] for s in socs], encoding)
    _write(folder, "hlgt_hlt.asc", [[h.soc.hlgt_code, h.code] for h in hlts], encoding)
    _write(
        folder,
        "pt.asc",
        [[p.code, name(p.en, p.es), "", p.hlt.soc.code, *[""] * 7] for p in pts],
        encoding,
    )
    llt_rows = [
        [t.code, name(t.en, t.es), t.pt_code, *[""] * 6, "Y" if t.current else "N", ""]
        for p in pts
        for t in p.llts
        if not spanish or t.es
    ]
    _write(folder, "llt.asc", sorted(llt_rows), encoding)
    links: list[list[str]] = []
    hier: list[list[str]] = []
    for p in pts:
        for hlt, primary in ((p.hlt, True), *((h, False) for h in p.secondary)):
            soc = hlt.soc
            links.append([hlt.code, p.code])
            hier.append(
                [
                    p.code,
                    hlt.code,
                    soc.hlgt_code,
                    soc.code,
                    name(p.en, p.es),
                    name(hlt.en, hlt.es),
                    name(soc.hlgt_en, soc.hlgt_es),
                    name(soc.en, soc.es),
                    soc.abbrev,
                    "",
                    p.hlt.soc.code,
                    "Y" if primary else "N",
                ]
            )
    _write(folder, "hlt_pt.asc", links, encoding)
    _write(folder, "mdhier.asc", hier, encoding)
    what = f"MedDRA-like {version}, {language}"
    (target / "README.md").write_text(README.format(what=what), encoding="utf-8")


def version_two(pts: list[Pt]) -> list[Pt]:
    changed = [replace(p, llts=[replace(t) for t in p.llts]) for p in pts]
    by_name = {p.en: p for p in changed}
    for p in changed:
        for t in p.llts:
            if t.en in NONCURRENT_IN_V2:
                t.current = False
    for llt_name, pt_name in MOVED_IN_V2:
        old = next(p for p in changed if any(t.en == llt_name for t in p.llts))
        llt = next(t for t in old.llts if t.en == llt_name)
        old.llts.remove(llt)
        llt.pt_code = by_name[pt_name].code
        by_name[pt_name].llts.append(llt)
    return changed


def main() -> None:
    pts = read_terms()
    write_distribution(DATA / "meddra", pts, version="27.0", language="English")
    write_distribution(DATA / "meddra-v2", version_two(pts), version="27.1", language="English")
    write_distribution(DATA / "meddra-es", pts, version="27.0", language="Spanish", spanish=True)
    llts = sum(len(p.llts) for p in pts)
    spanish = sum(1 for p in pts if p.es for t in p.llts if t.es)
    print(f"{len(pts)} PTs, {llts} LLTs; Spanish: {spanish} codes")


if __name__ == "__main__":
    main()
