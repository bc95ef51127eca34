"""Reading a MedDRA ASCII distribution (the user's licensed copy) into a dictionary.

Layout: ``$``-separated fields, every line ends with ``$``, no header (DOMAIN.md section 6).
``parse_distribution`` works on lines (tests feed it strings); ``load_distribution`` finds
the files, decodes them (UTF-8, else latin-1, which older and non-English distributions
use) and hands the lines over. Every problem is a ``MedDRALoadError`` naming the file and,
where there is one, the line: a half-loaded terminology would code events wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gateway.domain.meddra.dictionary import (
    GroupingTerm,
    HierarchyPath,
    LowestLevelTerm,
    MedDRADictionary,
    PreferredTerm,
    SystemOrganClass,
)
from gateway.errors import GatewayError

__all__ = [
    "REQUIRED_FILES",
    "MedDRALoadError",
    "load_distribution",
    "parse_distribution",
]


class MedDRALoadError(GatewayError, ValueError):
    """A MedDRA distribution file is missing or malformed; the message says where."""

    code = "meddra_load_error"

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"MedDRA distribution {where}: {problem}")


@dataclass(frozen=True, slots=True)
class _Layout:
    name: str
    fields: int
    #: the release file may carry trailing fields we do not use
    at_least: bool = False


_LLT = _Layout("llt.asc", 11)
_PT = _Layout("pt.asc", 11)
_HLT = _Layout("hlt.asc", 9)
_HLGT = _Layout("hlgt.asc", 9)
_SOC = _Layout("soc.asc", 10)
_HLT_PT = _Layout("hlt_pt.asc", 2)
_HLGT_HLT = _Layout("hlgt_hlt.asc", 2)
_SOC_HLGT = _Layout("soc_hlgt.asc", 2)
_MDHIER = _Layout("mdhier.asc", 12)
_RELEASE = _Layout("meddra_release.asc", 2, at_least=True)

REQUIRED_FILES: tuple[str, ...] = tuple(
    layout.name
    for layout in (_LLT, _PT, _HLT, _HLGT, _SOC, _HLT_PT, _HLGT_HLT, _SOC_HLGT, _MDHIER, _RELEASE)
)

_CODE = re.compile(r"^\d{8}$")
_VERSION = re.compile(r"^\d{1,2}\.\d$")


class _Reader:
    """Splits the lines of each file into checked records, naming file:line on failure."""

    def __init__(self, files: Mapping[str, Iterable[str]], origin: Path | None) -> None:
        self._files = files
        self._origin = origin

    def where(self, name: str) -> str:
        return name if self._origin is None else str(self._origin / name)

    def fail(self, name: str, line: int | None, problem: str) -> MedDRALoadError:
        return MedDRALoadError(self.where(name), line, problem)

    def records(self, layout: _Layout) -> Iterator[tuple[int, list[str]]]:
        lines = self._files.get(layout.name)
        if lines is None:
            raise self.fail(layout.name, None, "file is missing from the distribution")
        for number, raw in enumerate(lines, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            fields = (line[:-1] if line.endswith("$") else line).split("$")
            count_ok = (
                len(fields) >= layout.fields if layout.at_least else len(fields) == layout.fields
            )
            if not count_ok:
                expected = f"{'at least ' if layout.at_least else ''}{layout.fields}"
                raise self.fail(
                    layout.name,
                    number,
                    f"expected {expected} '$'-separated fields, found {len(fields)}",
                )
            yield number, fields

    def code(self, layout: _Layout, line: int, value: str, what: str) -> str:
        if not _CODE.match(value):
            raise self.fail(layout.name, line, f"{what} {value!r} is not an 8-digit code")
        return value

    def name(self, layout: _Layout, line: int, value: str, what: str) -> str:
        text = value.strip()
        if not text:
            raise self.fail(layout.name, line, f"{what} is empty")
        return text

    def flag(self, layout: _Layout, line: int, value: str, what: str) -> bool:
        if value not in ("Y", "N"):
            raise self.fail(layout.name, line, f"{what} must be 'Y' or 'N', got {value!r}")
        return value == "Y"

    def refer(
        self, layout: _Layout, line: int, code: str, known: Mapping[str, object], target: str
    ) -> None:
        if code not in known:
            raise self.fail(layout.name, line, f"code {code} is not in {target}")

    def unique(self, layout: _Layout, line: int, code: str, seen: Mapping[str, object]) -> None:
        if code in seen:
            raise self.fail(layout.name, line, f"duplicate code {code}")


def _release(reader: _Reader) -> tuple[str, str]:
    for line, fields in reader.records(_RELEASE):
        version = fields[0].strip()
        if not _VERSION.match(version):
            raise reader.fail(_RELEASE.name, line, f"version {version!r} does not look like 27.1")
        return version, reader.name(_RELEASE, line, fields[1], "language")
    raise reader.fail(_RELEASE.name, None, "file is empty (expected 'version$language$')")


def _socs(reader: _Reader) -> dict[str, SystemOrganClass]:
    socs: dict[str, SystemOrganClass] = {}
    for line, f in reader.records(_SOC):
        code = reader.code(_SOC, line, f[0], "soc_code")
        reader.unique(_SOC, line, code, socs)
        socs[code] = SystemOrganClass(code, reader.name(_SOC, line, f[1], "soc_name"), f[2].strip())
    return socs


def _groups(reader: _Reader, layout: _Layout) -> dict[str, GroupingTerm]:
    level = layout.name.removesuffix(".asc")
    groups: dict[str, GroupingTerm] = {}
    for line, f in reader.records(layout):
        code = reader.code(layout, line, f[0], f"{level}_code")
        reader.unique(layout, line, code, groups)
        groups[code] = GroupingTerm(code, reader.name(layout, line, f[1], f"{level}_name"))
    return groups


def _pts(reader: _Reader, socs: Mapping[str, SystemOrganClass]) -> dict[str, PreferredTerm]:
    pts: dict[str, PreferredTerm] = {}
    for line, f in reader.records(_PT):
        code = reader.code(_PT, line, f[0], "pt_code")
        reader.unique(_PT, line, code, pts)
        soc = reader.code(_PT, line, f[3], "pt_soc_code")
        reader.refer(_PT, line, soc, socs, _SOC.name)
        pts[code] = PreferredTerm(code, reader.name(_PT, line, f[1], "pt_name"), soc)
    return pts


def _llts(reader: _Reader, pts: Mapping[str, PreferredTerm]) -> dict[str, LowestLevelTerm]:
    llts: dict[str, LowestLevelTerm] = {}
    for line, f in reader.records(_LLT):
        code = reader.code(_LLT, line, f[0], "llt_code")
        reader.unique(_LLT, line, code, llts)
        pt = reader.code(_LLT, line, f[2], "pt_code")
        reader.refer(_LLT, line, pt, pts, _PT.name)
        name = reader.name(_LLT, line, f[1], "llt_name")
        llts[code] = LowestLevelTerm(code, name, pt, reader.flag(_LLT, line, f[9], "llt_currency"))
    return llts


def _links(
    reader: _Reader,
    layout: _Layout,
    parents: Mapping[str, object],
    children: Mapping[str, object],
    targets: tuple[str, str],
) -> set[tuple[str, str]]:
    links: set[tuple[str, str]] = set()
    for line, f in reader.records(layout):
        parent = reader.code(layout, line, f[0], "parent code")
        child = reader.code(layout, line, f[1], "child code")
        reader.refer(layout, line, parent, parents, targets[0])
        reader.refer(layout, line, child, children, targets[1])
        links.add((parent, child))
    return links


def parse_distribution(
    files: Mapping[str, Iterable[str]], *, origin: Path | None = None
) -> MedDRADictionary:
    """Build a dictionary from the lines of each file, keyed by file name (``llt.asc``...).

    ``origin`` (the directory) only prefixes the file names in error messages.
    """
    reader = _Reader(files, origin)
    version, language = _release(reader)
    socs = _socs(reader)
    hlgts = _groups(reader, _HLGT)
    hlts = _groups(reader, _HLT)
    pts = _pts(reader, socs)
    llts = _llts(reader, pts)
    hlt_pt = _links(reader, _HLT_PT, hlts, pts, (_HLT.name, _PT.name))
    hlgt_hlt = _links(reader, _HLGT_HLT, hlgts, hlts, (_HLGT.name, _HLT.name))
    soc_hlgt = _links(reader, _SOC_HLGT, socs, hlgts, (_SOC.name, _HLGT.name))
    paths: list[HierarchyPath] = []
    for line, f in reader.records(_MDHIER):
        pt, hlt, hlgt, soc = (
            reader.code(_MDHIER, line, value, what)
            for value, what in zip(
                f[:4], ("pt_code", "hlt_code", "hlgt_code", "soc_code"), strict=True
            )
        )
        missing = [
            f"{pair} not in {layout.name}"
            for pair, links, layout in (
                ((hlt, pt), hlt_pt, _HLT_PT),
                ((hlgt, hlt), hlgt_hlt, _HLGT_HLT),
                ((soc, hlgt), soc_hlgt, _SOC_HLGT),
            )
            if pair not in links
        ]
        if missing:
            raise reader.fail(_MDHIER.name, line, "path link " + "; ".join(missing))
        primary = reader.flag(_MDHIER, line, f[11], "primary_soc_fg")
        if primary and pts[pt].primary_soc_code != soc:
            raise reader.fail(
                _MDHIER.name,
                line,
                f"primary SOC {soc} of PT {pt} differs from pt_soc_code "
                f"{pts[pt].primary_soc_code} in {_PT.name}",
            )
        paths.append(HierarchyPath(pt, hlt, hlgt, soc, primary))
    return MedDRADictionary(
        version=version,
        language=language,
        llts=llts.values(),
        pts=pts.values(),
        hlts=hlts.values(),
        hlgts=hlgts.values(),
        socs=socs.values(),
        paths=paths,
    )


def _ascii_directory(directory: Path) -> Path:
    """The directory holding the .asc files: the one given, or its ``MedAscii`` child."""
    if not directory.is_dir():
        raise MedDRALoadError(str(directory), None, "directory does not exist")
    nested = directory / "MedAscii"
    if not (directory / _LLT.name).is_file() and nested.is_dir():
        return nested
    return directory


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def load_distribution(directory: Path) -> MedDRADictionary:
    """Load the MedDRA ASCII distribution in ``directory`` (or ``directory/MedAscii``)."""
    folder = _ascii_directory(Path(directory))
    files: dict[str, list[str]] = {}
    for name in REQUIRED_FILES:
        path = folder / name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise MedDRALoadError(
                str(path),
                None,
                "file is missing (give the directory holding the MedDRA .asc files, "
                "or its parent containing MedAscii/)",
            ) from None
        except OSError as exc:
            raise MedDRALoadError(str(path), None, f"cannot be read: {exc}") from exc
        # split on "\n" only: str.splitlines would also break at latin-1 "\x85"
        files[name] = _decode(raw).split("\n")
    return parse_distribution(files, origin=folder)
