"""`icsr-gateway demo` completes the user's settings without overriding what they chose."""

from __future__ import annotations

from pathlib import Path

from gateway.demo_data import DEMO_DESTINATION, demo_settings
from gateway.destinations import load_destinations
from gateway.domain.submissions.destinations import FolderTransport
from gateway.settings import Settings

REPO = Path(__file__).resolve().parents[3]


def test_the_demo_writes_a_eudravigilance_folder_destination_under_the_data_dir(
    tmp_path: Path,
) -> None:
    chosen = demo_settings(Settings(data_dir=tmp_path / "var"), REPO)

    path = chosen.settings.destinations_file
    assert path == (tmp_path / "var" / "demo" / "destinations.toml").resolve()
    [destination] = load_destinations(path)
    assert (destination.id, destination.profile, destination.batch_receiver) == (
        DEMO_DESTINATION,
        "ema",
        "EVTEST",
    )
    assert isinstance(destination.transport, FolderTransport)
    assert destination.transport.outbox_dir.is_relative_to((tmp_path / "var").resolve())
    assert chosen.settings.submission_auto_submit is False
    assert chosen.settings.catalogue_file == REPO / "examples" / "catalogue.json"
    assert any("destinations_file" in note for note in chosen.notes)


def test_the_demo_keeps_the_settings_the_user_chose(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    settings = Settings(
        data_dir=tmp_path / "var", destinations_file=mine, submission_auto_submit=True
    )

    chosen = demo_settings(settings, REPO)

    assert chosen.settings.destinations_file == mine
    assert chosen.settings.submission_auto_submit is True
    assert not (tmp_path / "var" / "demo" / "destinations.toml").exists()
    assert not any("destinations_file" in note for note in chosen.notes)
