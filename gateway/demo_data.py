"""What `icsr-gateway demo` brings along: its settings on top of the user's, a EudraVigilance-
like destination on folders under the data dir, and the invented reporter's e-mails.

Nobody here is real: the reporter, the patient and the products (from
``examples/catalogue.json``) are invented; the MedDRA codes of the test dictionary are not
MedDRA's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from gateway.settings import Settings

REPORTER_NAME = "Dr. Ana Example"
REPORTER_ADDRESS = "ana.example@clinica-ejemplo.es"  # .es: the reporter is in Spain (EEA)
REPORTER_DOMAIN = "clinica-ejemplo.es"
DEMO_DESTINATION = "eudravigilance"

#: the reporter's answer per follow-up question (the Question values), as she would write it
ANSWERS: dict[str, str] = {
    "patient_age": "She is 54 years old.",
    "patient_sex": "Female.",
    "outcome": "She is recovering.",
    "onset_date": "The rash started two days after the first tablet.",
    "dose": "20 mg once a day.",
    "route": "By mouth.",
    "indication": "Gastric reflux.",
    "batch": "Batch EX2041.",
    "medical_history": "No relevant medical history.",
    "concomitant_drugs": "No other medicines.",
    "relevant_tests": "No tests were done.",
    "dechallenge": "Yes, Examplozole was stopped and the rash is improving.",
    "rechallenge": "No, it was not restarted.",
    "seriousness": "She was admitted to hospital.",
}

_DESTINATIONS_TOML = """\
# Written by `icsr-gateway demo`: a EudraVigilance-like destination on folders under the
# data dir, answered by the regulator simulator the demo runs in-process. See
# examples/destinations.toml for every field.
[[destinations]]
id = "{id}"
name = "EudraVigilance (demo: folder hand-off, simulated)"
format = "R3"
profile = "ema"
batch_sender = "EXAMPLE-PV"
batch_receiver = "EVTEST"
message_receiver = "EVTEST"
mode = "test"
max_batch_size = 100
ack_timeout_business_days = 2

[destinations.transport]
kind = "folder"
outbox_dir = "{root}/outbox"
inbox_dir = "{root}/inbox"

[destinations.criteria]
report_types = ["spontaneous", "other", "not_available"]

[[destinations.deadline_rules]]
id = "EV-EEA-SERIOUS-15"
region = "EU"
days = 15
label = "EEA serious ICSR within 15 days (GVP VI.C.3)"
applies_to = {{ serious = true, study = false, eea_occurrence = true }}

[[destinations.deadline_rules]]
id = "EV-EEA-NONSERIOUS-90"
region = "EU"
days = 90
label = "EEA non-serious ICSR within 90 days (GVP VI.C.3)"
applies_to = {{ serious = false, study = false, eea_occurrence = true }}

[[destinations.deadline_rules]]
id = "EV-NONEEA-SERIOUS-15"
region = "EU"
days = 15
label = "Non-EEA serious ICSR within 15 days (GVP VI.C.3)"
applies_to = {{ serious = true, study = false, eea_occurrence = false }}
"""


@dataclass(frozen=True, slots=True)
class DemoSettings:
    settings: Settings
    #: one line per setting the demo chose, for the console
    notes: tuple[str, ...]


def write_demo_destinations(data_dir: Path) -> Path:
    """The demo's destinations file under ``data_dir`` (rewritten at each start)."""
    folder = data_dir.resolve() / "demo"
    root = folder / "regulators" / DEMO_DESTINATION
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "destinations.toml"
    path.write_text(
        _DESTINATIONS_TOML.format(id=DEMO_DESTINATION, root=root.as_posix()), encoding="utf-8"
    )
    return path


def demo_settings(settings: Settings, repo: Path) -> DemoSettings:
    """The user's settings, completed for the demo where the user left a setting unset.

    Example catalogue and test MedDRA; the demo destination; quicker dispatch and ACK polling;
    and submission after quality check (the demo plays the case processor), so that the
    E2B sent carries what the reporter's reply added.
    """
    chosen = settings.model_fields_set
    update: dict[str, Any] = {}
    if "catalogue_file" not in chosen and (repo / "examples" / "catalogue.json").exists():
        update["catalogue_file"] = repo / "examples" / "catalogue.json"
    if "meddra_dir" not in chosen and (repo / "tests" / "data" / "meddra").exists():
        update["meddra_dir"] = repo / "tests" / "data" / "meddra"
    if "destinations_file" not in chosen:
        update["destinations_file"] = write_demo_destinations(settings.data_dir)
    for name, value in (
        ("submission_auto_submit", False),
        ("submission_dispatch_interval_s", 0.2),
        ("submission_ack_poll_s", 0.2),
    ):
        if name not in chosen:
            update[name] = value
    notes = tuple(f"demo: {name} = {value}" for name, value in update.items())
    return DemoSettings(settings.model_copy(update=update) if update else settings, notes)


def sample_report(to: str = "safety@localhost") -> EmailMessage:
    """An invented adverse-event report, as a doctor might e-mail it: serious
    (hospitalisation), an own catalogue product, the patient's age left out."""
    msg = EmailMessage()
    msg["From"] = f"{REPORTER_NAME} <{REPORTER_ADDRESS}>"
    msg["To"] = to
    msg["Subject"] = "Adverse reaction report"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=REPORTER_DOMAIN)
    msg.set_content(
        "Dear safety team,\n\n"
        "my patient (initials J.D., female) developed a generalised rash and was\n"
        "hospitalised two days after starting Examplozole 20 mg daily by mouth.\n"
        "The drug was stopped and she is recovering.\n\n"
        f"{REPORTER_NAME}, internist\n"
    )
    return msg


def sample_reply(ours: EmailMessage, questions: list[str]) -> EmailMessage:
    """The reporter's answer to our follow-up, numbered as asked, above the quoted request
    (as mail clients quote it): the gateway must read only the new text."""
    answers = "\n".join(
        f"{n}. {ANSWERS.get(q, 'I do not know.')}" for n, q in enumerate(questions, start=1)
    )
    body = ours.get_body(preferencelist=("plain",))
    quoted = "\n".join(
        "> " + line for line in (str(body.get_content()) if body else "").splitlines()
    )
    reply = EmailMessage()
    reply["From"] = f"{REPORTER_NAME} <{REPORTER_ADDRESS}>"
    reply["To"] = str(ours["Reply-To"] or ours["From"])
    reply["Subject"] = "Re: " + str(ours["Subject"])
    reply["Date"] = format_datetime(datetime.now(UTC))
    reply["Message-ID"] = make_msgid(domain=REPORTER_DOMAIN)
    reply["In-Reply-To"] = str(ours["Message-ID"])
    reply["References"] = str(ours["Message-ID"])
    reply.set_content(
        f"Hello,\n\nhere are the answers:\n{answers}\n\nBest regards,\n{REPORTER_NAME}\n\n"
        f"On {ours['Date'] or 'Monday'}, {ours['From']} wrote:\n{quoted}\n"
    )
    return reply
