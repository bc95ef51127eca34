"""Fixture distributions (INVENTED codes in the MedDRA layout) and a tiny in-memory one."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.domain.meddra import MedDRACoder, MedDRADictionary, load_distribution

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"
ENGLISH = DATA / "meddra"
ENGLISH_V2 = DATA / "meddra-v2"
SPANISH = DATA / "meddra-es"
SHARED_SYNTHETIC = REPO.parent / "shared" / "meddra-synthetic"


@pytest.fixture(scope="session")
def english_dir() -> Path:
    """The English fixture distribution (the parent of its ``MedAscii``)."""
    return ENGLISH


@pytest.fixture(scope="session")
def spanish_dir() -> Path:
    return SPANISH


@pytest.fixture(scope="session")
def shared_synthetic_dir() -> Path:
    """``../shared/meddra-synthetic`` next to the repository; tests skip if it is absent."""
    return SHARED_SYNTHETIC


@pytest.fixture(scope="session")
def english() -> MedDRADictionary:
    return load_distribution(ENGLISH)


@pytest.fixture(scope="session")
def english_v2() -> MedDRADictionary:
    return load_distribution(ENGLISH_V2)


@pytest.fixture(scope="session")
def spanish() -> MedDRADictionary:
    return load_distribution(SPANISH)


@pytest.fixture(scope="session")
def coder(english: MedDRADictionary) -> MedDRACoder:
    return MedDRACoder(english)


@pytest.fixture
def tiny_files() -> dict[str, list[str]]:
    """A two-PT distribution as lines per file; tests edit a copy to break it."""
    return {
        "meddra_release.asc": ["27.1$English$$$$"],
        "soc.asc": ["90000001$Test system disorders$TSD$$$$$$$$"],
        "hlgt.asc": ["90000010$Test group$$$$$$$$"],
        "hlt.asc": ["90000100$Test level$$$$$$$$"],
        "pt.asc": [
            "90001000$Hypoglycaemia$$90000001$$$$$$$$",
            "90002000$Tremor$$90000001$$$$$$$$",
        ],
        "llt.asc": [
            "90001000$Hypoglycaemia$90001000$$$$$$$Y$$",
            "90001001$Low blood sugar$90001000$$$$$$$Y$$",
            "90002000$Tremor$90002000$$$$$$$N$$",
            "90002001$Shaking$90002000$$$$$$$N$$",
            "90002003$Trembling$90002000$$$$$$$Y$$",
            "90002002$Shakiness$90002000$$$$$$$Y$$",
        ],
        "hlt_pt.asc": ["90000100$90001000$", "90000100$90002000$"],
        "hlgt_hlt.asc": ["90000010$90000100$"],
        "soc_hlgt.asc": ["90000001$90000010$"],
        "mdhier.asc": [
            "90001000$90000100$90000010$90000001$Hypoglycaemia$Test level$Test group$"
            "Test system disorders$TSD$$90000001$Y$",
            "90002000$90000100$90000010$90000001$Tremor$Test level$Test group$"
            "Test system disorders$TSD$$90000001$Y$",
        ],
    }
