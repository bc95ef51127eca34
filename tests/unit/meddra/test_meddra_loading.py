"""Loading a MedDRA ASCII distribution: version, terms, hierarchy, and precise errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.domain.meddra import (
    REQUIRED_FILES,
    HierarchyPath,
    MedDRADictionary,
    MedDRALoadError,
    load_distribution,
    parse_distribution,
)
from gateway.errors import GatewayError


def test_fixture_loads_with_version_language_and_term_counts(english: MedDRADictionary) -> None:
    assert english.version == "27.0"
    assert english.language == "English"
    assert len(english.llts) == 621
    assert len(english.pts) == 234
    assert len(english.socs) == 22
    assert len(english.hlgts) == 22
    assert len(english.hlts) == 49
    assert sum(not t.current for t in english.llts.values()) == 10


def test_llt_lookup_gives_name_pt_and_currency(english: MedDRADictionary) -> None:
    hives = next(t for t in english.llts.values() if t.name == "Hives")
    assert english.llt(hives.code) == hives
    assert hives.current
    pt = english.pt(hives.pt_code)
    assert pt is not None
    assert pt.name == "Urticaria"
    assert english.llt("99999999") is None
    assert english.pt("99999999") is None


def test_primary_soc_of_a_pt_comes_from_pt_asc(english: MedDRADictionary) -> None:
    headache = next(p for p in english.pts.values() if p.name == "Headache")
    soc = english.primary_soc(headache.code)
    assert soc is not None
    assert (soc.name, soc.abbrev) == ("Nervous system disorders", "Nerv")
    assert english.primary_soc("99999999") is None


def test_hierarchy_keeps_every_path_with_the_primary_first(english: MedDRADictionary) -> None:
    hepatitis = next(p for p in english.pts.values() if p.name == "Hepatitis")
    paths = english.paths(hepatitis.code)
    assert len(paths) == 2
    assert paths[0].primary
    assert not paths[1].primary
    assert english.primary_path(hepatitis.code) == paths[0]
    names = [
        (english.hlt(p.hlt_code), english.hlgt(p.hlgt_code), english.soc(p.soc_code)) for p in paths
    ]
    assert [soc.name for _, _, soc in names if soc] == [
        "Hepatobiliary disorders",
        "Infections and infestations",
    ]
    assert all(hlt and hlgt for hlt, hlgt, _ in names)


def test_current_llt_for_a_pt_prefers_the_pt_named_llt(english: MedDRADictionary) -> None:
    headache = next(p for p in english.pts.values() if p.name == "Headache")
    chosen = english.current_llt_for(headache.code)
    assert chosen is not None
    assert chosen.code == headache.code
    assert len(english.llts_of(headache.code)) == 7


def test_current_llt_falls_back_to_the_lowest_current_code(
    tiny_files: dict[str, list[str]],
) -> None:
    """Tremor's own LLT and 'Shaking' are non-current: 90002002 beats 90002003."""
    dictionary = parse_distribution(tiny_files)
    chosen = dictionary.current_llt_for("90002000")
    assert chosen is not None
    assert chosen.code == "90002002"


def test_directory_with_the_asc_files_or_its_parent_both_load(english_dir: Path) -> None:
    assert load_distribution(english_dir / "MedAscii").version == "27.0"
    assert load_distribution(english_dir).version == "27.0"


def test_latin1_spanish_distribution_is_decoded(
    spanish: MedDRADictionary, spanish_dir: Path
) -> None:
    assert (spanish_dir / "MedAscii" / "pt.asc").read_bytes().decode("latin-1").count("ú") > 0
    assert spanish.language == "Spanish"
    names = {t.name for t in spanish.llts.values()}
    assert {"Náuseas", "Vómitos", "Cefalea", "Picor"} <= names


def test_utf8_with_bom_and_crlf_lines_load(tmp_path: Path, english_dir: Path) -> None:
    target = tmp_path / "MedAscii"
    shutil.copytree(english_dir / "MedAscii", target)
    llt = target / "llt.asc"
    text = llt.read_text(encoding="utf-8").replace("$Headache$94000001$", "$Headäche$94000001$")
    llt.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    dictionary = load_distribution(tmp_path)
    llt_term = dictionary.llt("94000001")
    assert llt_term is not None
    assert llt_term.name == "Headäche"


def test_shared_synthetic_distribution_loads(shared_synthetic_dir: Path) -> None:
    if not shared_synthetic_dir.is_dir():
        pytest.skip(f"{shared_synthetic_dir} is not present")
    dictionary = load_distribution(shared_synthetic_dir)
    assert dictionary.version == "0.0"
    assert dictionary.language == "English"
    assert len(dictionary.llts) == 3
    head_pain = dictionary.llt("10001112")
    assert head_pain is not None
    assert not head_pain.current
    soc = dictionary.primary_soc("10002111")
    assert soc is not None
    assert soc.abbrev == "ExCD"
    assert dictionary.paths("10001111") == (
        HierarchyPath("10001111", "10001110", "10001100", "10000100", primary=True),
    )


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", REQUIRED_FILES)
def test_missing_file_is_named_in_the_error(
    tmp_path: Path, english_dir: Path, missing: str
) -> None:
    shutil.copytree(english_dir / "MedAscii", tmp_path / "MedAscii")
    (tmp_path / "MedAscii" / missing).unlink()
    with pytest.raises(MedDRALoadError, match=rf"MedAscii/{missing}: .*missing") as caught:
        load_distribution(tmp_path)
    assert caught.value.line is None


def test_malformed_line_error_names_file_and_line(tmp_path: Path, english_dir: Path) -> None:
    shutil.copytree(english_dir / "MedAscii", tmp_path / "MedAscii")
    path = tmp_path / "MedAscii" / "llt.asc"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = "96000001$Broken line$94000001$Y$"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(MedDRALoadError) as caught:
        load_distribution(tmp_path)
    error = caught.value
    assert f"{path}:5:" in str(error)
    assert "expected 11 '$'-separated fields, found 4" in str(error)
    assert (error.file, error.line) == (str(path), 5)


def test_load_error_is_a_value_error_and_a_gateway_error() -> None:
    assert issubclass(MedDRALoadError, ValueError)
    assert issubclass(MedDRALoadError, GatewayError)


def test_directory_without_a_distribution_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MedDRALoadError, match=r"llt\.asc: file is missing"):
        load_distribution(tmp_path)
    with pytest.raises(MedDRALoadError, match="directory does not exist"):
        load_distribution(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("file", "index", "line", "message"),
    [
        ("llt.asc", 1, "90001001$Low blood sugar$9000100$$$$$$$Y$$", "pt_code '9000100' is not"),
        ("llt.asc", 1, "90001001$Low blood sugar$90009999$$$$$$$Y$$", "90009999 is not in pt.asc"),
        ("llt.asc", 1, "90001001$Low blood sugar$90001000$$$$$$$X$$", "llt_currency must be"),
        ("llt.asc", 1, "90001001$ $90001000$$$$$$$Y$$", "llt_name is empty"),
        ("llt.asc", 1, "90001000$Again$90001000$$$$$$$Y$$", "duplicate code 90001000"),
        ("pt.asc", 1, "90002000$Tremor$$90000002$$$$$$$$", "90000002 is not in soc.asc"),
        ("hlt_pt.asc", 0, "90000100$90009999$", "90009999 is not in pt.asc"),
        ("meddra_release.asc", 0, "27$English$$$$", "version '27' does not look like"),
        ("meddra_release.asc", 0, "27.1$$$$$", "language is empty"),
        ("mdhier.asc", 0, "90001000$90000100$90000010$90000001$a$b$c$d$e$90000001$Y$", "found 11"),
    ],
)
def test_bad_content_is_refused_with_file_and_line(
    tiny_files: dict[str, list[str]], file: str, index: int, line: str, message: str
) -> None:
    tiny_files[file][index] = line
    with pytest.raises(MedDRALoadError, match=message) as caught:
        parse_distribution(tiny_files)
    assert (caught.value.file, caught.value.line) == (file, index + 1)


def test_mdhier_path_must_match_the_link_files(tiny_files: dict[str, list[str]]) -> None:
    tiny_files["hlt_pt.asc"] = ["90000100$90001000$"]
    with pytest.raises(MedDRALoadError, match=r"mdhier.asc:2: .*not in hlt_pt.asc"):
        parse_distribution(tiny_files)


def test_mdhier_primary_soc_must_agree_with_pt_asc(tiny_files: dict[str, list[str]]) -> None:
    tiny_files["soc.asc"].append("90000002$Other disorders$OD$$$$$$$$")
    tiny_files["pt.asc"][1] = "90002000$Tremor$$90000002$$$$$$$$"
    with pytest.raises(MedDRALoadError, match=r"mdhier.asc:2: primary SOC 90000001 of PT"):
        parse_distribution(tiny_files)


def test_blank_lines_and_line_endings_are_ignored(tiny_files: dict[str, list[str]]) -> None:
    tiny_files["llt.asc"].insert(1, "   ")
    tiny_files["llt.asc"][0] += "\r\n"
    assert len(parse_distribution(tiny_files).llts) == 6


def test_parse_errors_name_the_origin_directory(tiny_files: dict[str, list[str]]) -> None:
    del tiny_files["soc.asc"]
    with pytest.raises(MedDRALoadError, match=r"^MedDRA distribution /srv/m/soc.asc: file is"):
        parse_distribution(tiny_files, origin=Path("/srv/m"))
