"""Without a relay or Twilio account, follow-ups are files in the outbox folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path

from structlog.testing import capture_logs

from channels.followup_out import (
    FolderSender,
    FollowUpChannel,
    FollowUpTransport,
    OutgoingMessage,
    SendStatus,
    Transport,
    build_senders,
)
from gateway.settings import Settings

Build = Callable[..., OutgoingMessage]

REPORTER_VALUES = ("dr.meyer@praxis-meyer.example", "+4915112345678", "4915112345678")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _folder_sender(folder: Path) -> FolderSender:
    return FolderSender(
        folder,
        from_address="Drug Safety <safety@pharma.example>",
        sms_from="+15005550006",
        whatsapp_from="+14155238886",
        whatsapp_content_sid="HX" + "c" * 32,
    )


async def test_an_email_follow_up_is_written_as_the_eml_a_relay_would_receive(
    tmp_path: Path, email_follow_up: Build
) -> None:
    msg = email_follow_up()

    result = await _folder_sender(tmp_path).send(msg)

    assert (result.status, result.transport) == (SendStatus.ACCEPTED, Transport.FOLDER)
    assert result.provider_ref == msg.message_id
    [(name, content)] = _files(tmp_path).items()
    assert name.endswith(".eml")
    written = BytesParser(policy=policy.default).parsebytes(content)
    assert written["Message-ID"] == msg.message_id
    assert written["Reply-To"] == msg.reply_to
    assert written["Subject"] == msg.subject
    assert written["To"] == msg.recipient
    assert "start taking Amoxicillin" in written.get_content()


async def test_sms_and_whatsapp_follow_ups_are_written_as_json_twilio_requests(
    tmp_path: Path, phone_follow_up: Build
) -> None:
    sender = _folder_sender(tmp_path)

    sms = await sender.send(phone_follow_up(FollowUpChannel.SMS))
    template = await sender.send(
        phone_follow_up(FollowUpChannel.WHATSAPP, in_window=False, template_variables={"1": "X"})
    )

    assert sms.status is SendStatus.ACCEPTED
    assert template.status is SendStatus.ACCEPTED
    assert sms.provider_ref != template.provider_ref
    records = {
        r["channel"]: r
        for r in (json.loads(c) for n, c in _files(tmp_path).items() if n.endswith(".json"))
    }
    assert records["SMS"]["to"] == "+4915112345678"
    assert records["SMS"]["from"] == "+15005550006"
    assert records["SMS"]["body"].startswith("CASE-2026-000043: when did the rash start?")
    assert records["WHATSAPP"]["to"] == "whatsapp:+4915112345678"
    assert records["WHATSAPP"]["content_sid"] == "HX" + "c" * 32
    assert records["WHATSAPP"]["content_variables"] == {"1": "X"}
    assert "body" not in records["WHATSAPP"]


async def test_files_appear_whole_with_no_temporary_file_left_behind(
    tmp_path: Path, email_follow_up: Build, phone_follow_up: Build
) -> None:
    folder = tmp_path / "outbox" / "followup"
    sender = _folder_sender(folder)

    for n in range(5):
        await sender.send(email_follow_up(request_id=f"FU-{n}", message_id=f"<fu.{n}@x.example>"))
        await sender.send(phone_follow_up(FollowUpChannel.SMS, request_id=f"FU-{n}"))

    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 10
    assert not [n for n in names if n.startswith(".") or n.endswith(".part")]


async def test_an_unwritable_folder_is_retry_not_a_lost_message(
    tmp_path: Path, email_follow_up: Build
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")

    result = await _folder_sender(blocker / "followup").send(email_follow_up())

    assert result.status is SendStatus.RETRY
    assert result.provider_ref is None


async def test_the_log_says_once_that_messages_go_to_the_folder_and_never_names_the_reporter(
    tmp_path: Path, email_follow_up: Build, phone_follow_up: Build
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        smtp_recipients=["safety@pharma.example"],
        followup_reply_address="safety@pharma.example",
    )
    transport = FollowUpTransport.from_settings(settings)

    with capture_logs() as logs:
        senders = build_senders(transport)
        await senders[FollowUpChannel.EMAIL].send(email_follow_up())
        await senders[FollowUpChannel.SMS].send(phone_follow_up(FollowUpChannel.SMS))
        await senders[FollowUpChannel.WHATSAPP].send(phone_follow_up(FollowUpChannel.WHATSAPP))

    start_up = [e for e in logs if e["event"] == "followup.transport"]
    assert [(e["channel"], e["transport"]) for e in start_up] == [
        ("EMAIL", "folder"),
        ("SMS", "folder"),
        ("WHATSAPP", "folder"),
    ]
    assert all(e["folder"] == str(tmp_path / "outbox" / "followup") for e in start_up)
    assert "ICSR_FOLLOWUP_SMTP_HOST" in start_up[0]["reason"]
    written = [e for e in logs if e["event"] == "followup.outbox.written"]
    assert [e["request_id"] for e in written] == [
        "FU-2026-000123",
        "FU-2026-000124",
        "FU-2026-000124",
    ]
    everything = repr(logs)
    for value in REPORTER_VALUES:
        assert value not in everything
    assert "Amoxicillin" not in everything
    assert "rash" not in everything
    assert len(list((tmp_path / "outbox" / "followup").iterdir())) == 3
