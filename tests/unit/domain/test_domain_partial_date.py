from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from gateway.domain.values import DatePrecision, PartialDate

P = PartialDate.parse


def test_partial_date_keeps_month_precision_through_format_and_parse() -> None:
    march = PartialDate(year=2024, month=3)

    text = march.format()

    assert text == "202403"
    assert P(text) == march
    assert P(text).precision is DatePrecision.MONTH


@pytest.mark.parametrize(
    ("text", "precision"),
    [
        ("2024", DatePrecision.YEAR),
        ("202403", DatePrecision.MONTH),
        ("20240315", DatePrecision.DAY),
        ("2024031514", DatePrecision.HOUR),
        ("202403151430", DatePrecision.MINUTE),
        ("20240315143000", DatePrecision.SECOND),
        ("20240315143000+0100", DatePrecision.SECOND),
        ("20240315143000-0530", DatePrecision.SECOND),
    ],
)
def test_every_e2b_date_form_round_trips_with_its_precision(
    text: str, precision: DatePrecision
) -> None:
    parsed = P(text)
    assert parsed.precision is precision
    assert parsed.format() == text


def test_partial_date_keeps_the_utc_offset_it_was_given() -> None:
    parsed = P("20240315143000-0530")
    assert parsed.utc_offset == -timedelta(hours=5, minutes=30)
    assert P("20240315143000").utc_offset is None


@pytest.mark.parametrize(
    "text",
    ["24", "2024-03-15", "2024031", "20241301", "20240230", "20240315250000", "2024+01", "x"],
)
def test_malformed_or_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"E2B date|calendar"):
        P(text)


def test_a_day_without_a_month_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="contiguous"):
        PartialDate(year=2024, day=15)


def test_from_datetime_cuts_to_the_requested_precision_and_keeps_offset_for_times() -> None:
    cet = timezone(timedelta(hours=1))
    dt = datetime(2024, 3, 15, 14, 30, 59, tzinfo=cet)

    assert PartialDate.from_datetime(dt, DatePrecision.DAY).format() == "20240315"
    assert PartialDate.from_datetime(dt, DatePrecision.MINUTE).format() == "202403151430+0100"
    assert PartialDate.from_datetime(dt, DatePrecision.SECOND).format() == "20240315143059+0100"


def test_from_datetime_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PartialDate.from_datetime(datetime(2024, 3, 15), DatePrecision.DAY)


def test_from_date_and_truncate_never_invent_components() -> None:
    assert PartialDate.from_date(date(2024, 3, 15), DatePrecision.MONTH) == P("202403")
    assert P("20240315143000+0100").truncate(DatePrecision.DAY) == P("20240315")
    with pytest.raises(ValueError, match="cannot raise precision"):
        P("2024").truncate(DatePrecision.DAY)


def test_a_year_neither_precedes_nor_follows_a_day_inside_it() -> None:
    year, day = P("2024"), P("20240315")

    assert year.compare(day) is None
    assert not year < day
    assert not year > day
    assert year.contains(day)
    assert not day.contains(year)


def test_dates_in_disjoint_spans_order_by_time_whatever_their_precision() -> None:
    assert P("202402") < P("20240301")
    assert P("20240301") > P("202402")
    assert P("2023") <= P("20240101")
    assert P("202402").compare(P("20240301")) == -1


def test_comparison_uses_the_utc_offset() -> None:
    # 10:00 in Madrid (+0100) is 09:00 UTC, before 09:30 UTC
    assert P("202403151000+0100") < P("202403150930+0000")
    assert P("202403151000+0100").compare(P("202403150900+0000")) == 0
    assert P("202403151000+0100") != P("202403150900+0000")  # equality stays structural


def test_month_span_ends_at_the_next_month_including_december_and_february() -> None:
    assert P("202412").interval()[1] == datetime(2025, 1, 1, tzinfo=UTC)
    assert P("202402").interval()[1] == datetime(2024, 3, 1, tzinfo=UTC)
    assert P("2024").interval()[1] == datetime(2025, 1, 1, tzinfo=UTC)


def test_sort_key_gives_a_stable_display_order() -> None:
    dates = [P("20240315"), P("2024"), P("202403"), P("2023")]
    assert [d.format() for d in sorted(dates, key=PartialDate.sort_key)] == [
        "2023",
        "2024",
        "202403",
        "20240315",
    ]
