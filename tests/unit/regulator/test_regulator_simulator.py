"""The regulator simulator on FDA's public samples: ACKs as an authority would send them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from gateway.cli import app
from gateway.regulator import RegulatorSimulator, SimulatedAck
from schemas.e2b_ack import R2Ack, R3Ack, load_ack, parse_ack
from schemas.e2b_convert import r3_to_r2
from schemas.e2b_r2 import build_r2, serialize_r2
from schemas.e2b_r3 import parse_batch

E2B = Path(__file__).resolve().parents[3].parent / "shared" / "e2b"
SAMPLES = E2B / "samples" / "fda-r3"
SCHEMAS = E2B / "ich-r3-schemas"
R2_DTD = E2B / "ich-r2" / "icsr21xml.dtd"
ACK_DTD = E2B / "ich-r2" / "ichicsrack11xml.dtd"
ACK_XSD = "MCCI_IN200101UV01.xsd"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)
NS = {"h": "urn:hl7-org:v3"}
SCENARIO1_ID = "21ec1492-3aea-4069-a2ab-08002b30309d"


@cache
def _ack_xsd() -> etree.XMLSchema:
    return etree.XMLSchema(
        etree.parse(str(SCHEMAS / "multicacheschemas" / "MCCI_IN200101UV01.xsd"))
    )


def _sample(name: str) -> bytes:
    return (SAMPLES / f"FAERS2022{name}.xml").read_bytes()


def _mutated(name: str, change: Callable[[Any], None]) -> bytes:
    root = etree.fromstring(_sample(name), SAFE)
    change(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _r2_file(name: str) -> bytes:
    batch = parse_batch(etree.fromstring(_sample(name), SAFE))
    return bytes(serialize_r2(build_r2(r3_to_r2(batch).value)))


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inbox, outbox = tmp_path / "regulator-in", tmp_path / "regulator-out"
    inbox.mkdir()
    return inbox, outbox


def _sim(folders: tuple[Path, Path], **kwargs: Any) -> RegulatorSimulator:
    inbox, outbox = folders
    kwargs.setdefault("profile", "fda")
    return RegulatorSimulator(inbox, outbox, **kwargs)


def _by_file(results: list[SimulatedAck]) -> dict[str, SimulatedAck]:
    return {r.file_name: r for r in results}


def test_fda_samples_are_accepted_with_schema_valid_acks_and_local_report_numbers(
    folders: tuple[Path, Path],
) -> None:
    inbox, outbox = folders
    for name in ("FAERS2022Scenario1.xml", "FAERS2022Scenario2.xml"):
        shutil.copy(SAMPLES / name, inbox / name)

    results = _by_file(_sim(folders, schemas_dir=SCHEMAS).process_once())

    first = results["FAERS2022Scenario1.xml"]
    assert (first.format, first.batch_code, first.accepted, first.rejected) == (
        "R3",
        "AA",
        (SCENARIO1_ID,),
        (),
    )
    assert first.ack_path is not None
    assert first.ack_path.parent == outbox
    ack_root = etree.fromstring(first.ack_path.read_bytes(), SAFE)
    assert _ack_xsd().validate(ack_root), _ack_xsd().error_log
    summary = parse_ack(first.ack_path.read_bytes())
    assert summary.batch_number == "FAERS2022Scenario1-4069-a2dd-08002b30309d"
    (item,) = summary.items
    assert (item.code, item.message_id) == ("CA", SCENARIO1_ID)
    assert item.local_report_number is not None
    assert item.local_report_number.startswith("FAERS-")
    assert first.local_report_numbers == ((SCENARIO1_ID, item.local_report_number),)
    assert results["FAERS2022Scenario2.xml"].batch_code == "AA"
    numbers = {n for r in results.values() for _, n in r.local_report_numbers}
    assert len(numbers) == 2  # one number per loaded ICSR

    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
        "FAERS2022Scenario1.xml",
        "FAERS2022Scenario2.xml",
    ]
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []


def test_a_file_is_answered_once(folders: tuple[Path, Path]) -> None:
    inbox, outbox = folders
    shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / "b1.xml")
    sim = _sim(folders)
    assert len(sim.process_once()) == 1
    assert sim.process_once() == []
    assert len(list(outbox.iterdir())) == 1


def test_invalid_icsr_is_rejected_cr_with_the_real_finding(folders: tuple[Path, Path]) -> None:
    inbox, _ = folders

    def to_cber(root: Any) -> None:
        root.xpath("//h:PORR_IN049016UV/h:receiver/h:device/h:id", namespaces=NS)[0].set(
            "extension", "CBER"
        )

    (inbox / "broken.xml").write_bytes(_mutated("Scenario1", to_cber))
    (result,) = _sim(folders).process_once()
    assert (result.batch_code, result.accepted, result.rejected) == ("AE", (), (SCENARIO1_ID,))
    assert result.local_report_numbers == ()
    assert result.ack_path is not None
    (item,) = parse_ack(result.ack_path.read_bytes()).items
    assert item.code == "CR"
    assert item.local_report_number is None
    assert item.error_text == 'R0006 N.2.r.3: N.1.4 = "ZZFDA" but N.2.r.3 is not "CDER"'


def test_r2_file_gets_a_dtd_valid_r2_ack(folders: tuple[Path, Path]) -> None:
    inbox, _ = folders
    (inbox / "national.xml").write_bytes(_r2_file("Scenario1"))
    (result,) = _sim(folders, profile="ich", r2_dtd=R2_DTD).process_once()
    assert (result.format, result.batch_code) == ("R2", "AA")
    assert result.ack_path is not None
    data = result.ack_path.read_bytes()
    dtd = etree.DTD(str(ACK_DTD))
    assert dtd.validate(etree.fromstring(data, SAFE)), dtd.error_log
    ack = load_ack(data)
    assert isinstance(ack, R2Ack)
    assert ack.acknowledgment.code == "01"
    assert ack.acknowledgment.icsr_message_number == "FAERS2022Scenario1-4069-a2dd-08002b30309d"
    (report,) = ack.reports
    assert report.code == "01"
    assert report.local_report_number is not None
    assert report.local_report_number.startswith("LRN-")


def test_r2_file_failing_the_dtd_is_answered_03_with_its_message_number(
    folders: tuple[Path, Path],
) -> None:
    inbox, _ = folders
    root = etree.fromstring(_r2_file("Scenario1"), SAFE)
    root.find("safetyreport").append(etree.Element("notanelement"))
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    (inbox / "bad-r2.xml").write_bytes(data)
    (result,) = _sim(folders, profile="ich", r2_dtd=R2_DTD).process_once()
    assert (result.format, result.batch_code) == ("R2", "AR")
    assert result.batch_number == "FAERS2022Scenario1-4069-a2dd-08002b30309d"
    assert result.ack_path is not None
    ack = load_ack(result.ack_path.read_bytes())
    assert isinstance(ack, R2Ack)
    assert ack.acknowledgment.code == "03"
    assert ack.acknowledgment.parsing_error_message is not None


def test_reject_rate_one_rejects_valid_icsrs_with_a_plausible_text(
    folders: tuple[Path, Path],
) -> None:
    inbox, _ = folders
    shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / "b1.xml")
    (result,) = _sim(folders, reject_rate=1.0, seed=3).process_once()
    assert (result.batch_code, result.rejected) == ("AE", (SCENARIO1_ID,))
    assert result.ack_path is not None
    ack = load_ack(result.ack_path.read_bytes())
    assert isinstance(ack, R3Ack)
    assert ack.text == "Some ICSR message(s) need further action"
    (item,) = ack.items
    assert item.code == "CR"
    assert item.local_report_number is None
    assert item.text is not None
    assert item.text.startswith("R0021 C.2.r.5:")
    assert "simulated rejection" in item.text


def test_reject_rate_is_reproducible_with_a_seed(tmp_path: Path) -> None:
    def decisions(run: str) -> list[str]:
        inbox = tmp_path / run / "in"
        inbox.mkdir(parents=True)
        for n in range(12):
            shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / f"b{n:02d}.xml")
        sim = RegulatorSimulator(inbox, tmp_path / run / "out", reject_rate=0.5, seed=42)
        return [r.batch_code or "" for r in sorted(sim.process_once(), key=lambda r: r.file_name)]

    first, second = decisions("a"), decisions("b")
    assert first == second
    assert set(first) == {"AA", "AE"}


def test_misaddressed_batch_is_answered_ar_with_its_batch_number(
    folders: tuple[Path, Path],
) -> None:
    inbox, _ = folders
    shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / "b1.xml")
    (result,) = _sim(folders, profile="ema", receiver_id="EVHUMAN").process_once()
    assert (result.batch_code, result.batch_number) == (
        "AR",
        "FAERS2022Scenario1-4069-a2dd-08002b30309d",
    )
    assert result.ack_path is not None
    summary = parse_ack(result.ack_path.read_bytes())
    assert summary.batch_text is not None
    assert "RECEIVE.N.1.4.receiver" in summary.batch_text
    assert (inbox / "processed" / "b1.xml").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01 not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<MCCI_IN200100UV01>&b;</MCCI_IN200100UV01>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<MCCI_IN200100UV01 xmlns='urn:hl7-org:v3'><id",
    ],
    ids=["binary", "entity-expansion", "external-entity", "truncated"],
)
def test_hostile_or_unreadable_file_goes_to_rejected_without_an_ack(
    folders: tuple[Path, Path], content: bytes
) -> None:
    inbox, outbox = folders
    (inbox / "evil.xml").write_bytes(content)
    shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / "zz-good.xml")
    results = _by_file(_sim(folders).process_once())
    evil = results["evil.xml"]
    assert (evil.batch_code, evil.ack_path) == (None, None)
    assert evil.moved_to == inbox / "rejected" / "evil.xml"
    assert evil.moved_to.read_bytes() == content
    error = (inbox / "rejected" / "evil.xml.error.txt").read_text()
    assert error.startswith("batch number unreadable")
    assert "no ACK" in evil.line()
    assert results["zz-good.xml"].batch_code == "AA"  # the next file is still answered
    assert len(list(outbox.iterdir())) == 1


def test_half_written_and_hidden_files_are_left_alone(folders: tuple[Path, Path]) -> None:
    inbox, outbox = folders
    for name in ("batch.xml.tmp", ".batch.xml", "batch.part"):
        shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / name)
    assert _sim(folders).process_once() == []
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [
        ".batch.xml",
        "batch.part",
        "batch.xml.tmp",
    ]
    assert list(outbox.iterdir()) == []


def test_delay_holds_the_answer_until_the_file_is_old_enough(folders: tuple[Path, Path]) -> None:
    inbox, _ = folders
    path = inbox / "b1.xml"
    shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", path)
    written = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    os.utime(path, (written.timestamp(), written.timestamp()))
    now = [written + timedelta(seconds=5)]
    sim = _sim(folders, delay_s=30, clock=lambda: now[0])
    assert sim.process_once() == []
    now[0] = written + timedelta(seconds=31)
    (result,) = sim.process_once()
    assert result.batch_code == "AA"


def test_same_name_arriving_again_is_kept_beside_the_first_in_processed(
    folders: tuple[Path, Path],
) -> None:
    inbox, _ = folders
    sim = _sim(folders)
    for _ in range(2):
        shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / "b1.xml")
        sim.process_once()
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["b1.xml", "b1.xml.1"]


def test_bad_settings_are_refused(folders: tuple[Path, Path]) -> None:
    inbox, outbox = folders
    with pytest.raises(ValueError, match="reject_rate"):
        RegulatorSimulator(inbox, outbox, reject_rate=1.5)
    with pytest.raises(ValueError, match="different folders"):
        RegulatorSimulator(inbox, inbox)
    with pytest.raises(ValueError, match=r"schemas_dir .* does not exist"):
        RegulatorSimulator(inbox, outbox, schemas_dir=inbox / "nope")


def test_identifiers_from_the_file_cannot_steer_where_the_ack_is_written(
    folders: tuple[Path, Path],
) -> None:
    inbox, outbox = folders

    def escape(root: Any) -> None:
        root.xpath("h:receiver/h:device/h:id", namespaces=NS)[0].set("extension", "../../x")
        root.xpath("h:id", namespaces=NS)[0].set("extension", "../../../batch")

    (inbox / "b1.xml").write_bytes(_mutated("Scenario1", escape))
    (result,) = _sim(folders, profile="ich").process_once()
    assert result.batch_number == "../../../batch"
    assert result.ack_path is not None
    assert result.ack_path.parent == outbox
    assert [p.name for p in outbox.iterdir()] == [result.ack_path.name]
    assert "/" not in result.ack_path.name


def test_cli_once_prints_one_line_per_file(folders: tuple[Path, Path]) -> None:
    inbox, outbox = folders
    shutil.copy(SAMPLES / "FAERS2022Scenario1.xml", inbox / "b1.xml")
    (inbox / "junk.xml").write_bytes(b"junk")
    result = CliRunner().invoke(
        app,
        [
            "regulator",
            "--inbox",
            str(inbox),
            "--outbox",
            str(outbox),
            "--profile",
            "fda",
            "--once",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "b1.xml: R3 batch FAERS2022Scenario1-4069-a2dd-08002b30309d, 1 ICSR(s), AA" in (
        result.stdout
    )
    assert "junk.xml: no ACK, moved to rejected/" in result.stderr


def test_cli_refuses_an_unknown_profile(folders: tuple[Path, Path]) -> None:
    inbox, outbox = folders
    result = CliRunner().invoke(
        app, ["regulator", "--inbox", str(inbox), "--outbox", str(outbox), "--profile", "pmda"]
    )
    assert result.exit_code == 2
    assert "--profile must be one of ich, ema, fda" in result.stderr
