"""Reporter and patient: qualification, names, contact, country; age, sex, pregnancy."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from gateway.domain.codes import AgeGroup, Qualification, Sex
from gateway.domain.normaliser import Draft
from gateway.domain.normaliser.reporter import country_from_email, country_from_phone
from gateway.domain.values import PartialDate, Quantity

Normalise = Callable[..., Draft]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I am a GP reporting a rash on amoxicillin in a 50-year-old man.",
            Qualification.PHYSICIAN,
        ),
        ("Soy médica de familia. Paciente de 50 años con diarrea.", Qualification.PHYSICIAN),
        ("I'm a community pharmacist; a customer had a rash.", Qualification.PHARMACIST),
        ("Soy farmacéutica, una clienta tiene picor.", Qualification.PHARMACIST),
        ("Soy enfermera, la paciente tiene fiebre.", Qualification.OTHER_HEALTH_PROFESSIONAL),
        ("My doctor said the rash is from amoxicillin.", Qualification.CONSUMER),
        ("Mi médico dice que la tos es del lisinopril.", Qualification.CONSUMER),
    ],
)
def test_qualification_comes_from_what_reporters_say_of_themselves(
    read: Normalise, text: str, expected: Qualification
) -> None:
    assert read(text).reporter.qualification.value is expected


def test_missing_qualification_defaults_to_consumer_marked_derived(read: Normalise) -> None:
    qualification = read("Rash after amoxicillin.").reporter.qualification
    assert qualification.value is Qualification.CONSUMER
    assert qualification.derived


def test_doctor_signature_gives_name_and_qualification(read: Normalise) -> None:
    text = (
        "Dear team,\n\nA 58-year-old man developed myalgia on simvastatin.\n\n"
        "Regards,\nDr Rakesh Patel\nGeneral Practitioner"
    )
    reporter = read(text).reporter
    assert reporter.qualification.value is Qualification.PHYSICIAN
    assert (reporter.title and reporter.title.value) == "Dr"
    assert reporter.full_name == "Rakesh Patel"
    assert reporter.given_name is not None
    assert reporter.given_name.span is not None
    start, end = reporter.given_name.span
    assert text[start:end] == "Rakesh"


def test_name_from_introduction_and_display_name_fallback(read: Normalise) -> None:
    assert read("Hola, me llamo Lucía Ortega y tomo omeprazol.").reporter.full_name == (
        "Lucía Ortega"
    )
    fallback = read(
        "rash after amoxicillin", "WHATSAPP", email=None, phone="+34600111222", name="Pepa Ruiz"
    ).reporter
    assert fallback.full_name == "Pepa Ruiz"
    assert fallback.given_name is not None
    assert fallback.given_name.derived


def test_contact_and_country_come_from_the_channel(read: Normalise) -> None:
    reporter = read("rash", "SMS", email=None, phone="+525512345678").reporter
    assert reporter.phone is not None
    assert reporter.phone.value == "+525512345678"
    assert reporter.country is not None
    assert reporter.country.value == "MX"
    assert reporter.country.derived
    assert country_from_phone("whatsapp:+34600111222") == "ES"
    assert country_from_phone("+447700900123") == "GB"
    assert country_from_phone("600111222") is None
    assert country_from_email("ana@correo.es") == "ES"
    assert country_from_email("bob@example.co.uk") == "GB"
    assert country_from_email("bob@example.com") is None


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("My mother, a 72-year-old, got a rash.", "72", "a"),
        ("54 years old, rash on lamotrigine.", "54", "a"),
        ("Paciente de 54 años con diarrea.", "54", "a"),
        ("My baby is 8 months old and has a rash.", "8", "mo"),
        ("A boy aged 3 had vomiting.", "3", "a"),
        ("Mi hijo de 6 años tiene ronchas.", "6", "a"),
        ("my son (14) has tics", "14", "a"),
        ("rash and fever, 71M", "71", "a"),
    ],
)
def test_age_with_unit(read: Normalise, text: str, value: str, unit: str) -> None:
    age = read(text).patient.age
    assert age is not None
    assert age.value == Quantity(value=Decimal(value), unit=unit)
    assert age.span is not None
    start, end = age.span
    assert value in text[start:end]


@pytest.mark.parametrize(
    "text",
    [
        "I have taken sertraline for 3 years and now have headaches.",
        "Hace 3 años que tomo omeprazol y tengo diarrea.",
        "Llevo 2 años con la metformina.",
    ],
)
def test_durations_are_not_ages(read: Normalise, text: str) -> None:
    assert read(text).patient.age is None


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("My mother got a rash.", Sex.FEMALE),
        ("Mi marido tiene tos.", Sex.MALE),
        ("A 67-year-old male patient had angioedema.", Sex.MALE),
        ("La paciente presentó fiebre.", Sex.FEMALE),
        ("Sex: F. Rash.", Sex.FEMALE),
        ("Tomo Nocturnil y estoy muy mareada.", Sex.FEMALE),
        ("I am pregnant and had a rash.", Sex.FEMALE),
    ],
)
def test_sex_cues(read: Normalise, text: str, sex: Sex) -> None:
    found = read(text).patient.sex
    assert found is not None
    assert found.value is sex


def test_sex_is_not_read_from_the_letter_before_a_dose_unit_or_from_spanish_he(
    read: Normalise,
) -> None:
    assert read("Took 50 mg of sertraline and had nausea.").patient.sex is None
    assert read("Lo he leído en internet, la sertralina da náuseas.").patient.sex is None


def test_pregnancy_gestation_weight_birth_date_initials(read: Normalise) -> None:
    patient = read(
        "Patient initials: M.G. DOB 12/03/1990. She is 20 weeks pregnant, weighs 70 kg, "
        "and had a rash on amoxicillin. She lost 3 kg since."
    ).patient
    assert patient.initials is not None
    assert patient.initials.value == "MG"
    assert patient.birth_date is not None
    assert patient.birth_date.value == PartialDate(year=1990, month=3, day=12)
    assert patient.pregnant is not None
    assert patient.pregnant.value
    assert patient.gestation is not None
    assert patient.gestation.value == Quantity(value=Decimal(20), unit="wk")
    assert patient.weight_kg is not None
    assert patient.weight_kg.value == Decimal(70)


def test_not_pregnant_is_not_pregnancy(read: Normalise) -> None:
    assert read("No está embarazada. Tiene diarrea con la metformina.").patient.pregnant is None


def test_self_report_and_relation(read: Normalise) -> None:
    draft = read("I took ibuprofen and got hives.")
    assert draft.reporter.is_patient is not None
    assert draft.reporter.is_patient.value
    draft = read("Mi madre toma quetiapina y está adormilada.")
    assert draft.patient.relation is not None
    assert draft.patient.relation.value == "madre"
    assert draft.reporter.is_patient is not None
    assert not draft.reporter.is_patient.value


def test_age_group_from_words(read: Normalise) -> None:
    group = read("Our baby had a rash after amoxicillin.").patient.age_group
    assert group is not None
    assert group.value is AgeGroup.INFANT
