"""Values as people write them: each case is (what the author wrote, what we store)."""

from datetime import date, datetime, time, timezone

import pytest

from pm_analytics.parse.values import (
    dst_mismatch,
    find_clock,
    find_date,
    is_placeholder,
    month_day_near,
    parse_count,
    parse_duration_min,
    is_drill,
    numeric_date_order,
    parse_severity,
    parse_timestamp,
    severity_and_word,
    resolve_timezone,
)


@pytest.mark.parametrize("written, minutes, approximate", [
    ("25 minutes", 25, False),
    ("10 min", 10, False),
    ("26m", 26, False),
    ("1h 5m", 65, False),
    ("1 hour and 5 minutes", 65, False),
    ("1.5 hours", 90, False),
    ("2 hrs", 120, False),
    ("0:45", 45, False),
    ("1:05:30", 65.5, False),
    ("PT1H20M", 80, False),
    ("pt45m", 45, False),
    ("P1DT2H", 1560, False),
    (15, 15, False),
    (7.5, 7.5, False),
    ("~15 min", 15, True),
    ("about 2h", 120, True),
    ("<5 min", 5, True),
    ("90 seconds", 1.5, False),
    ("2 days", 2880, False),
    ("25 minutes (alert fired late)", 25, False),
    ("10 min - paged late", 10, False),
    ("**20 min**", 20, False),
    ("1,200 minutes", 1200, False),
    ("1,440 minutes", 1440, False),
    ("1,5 hours", 90, False),
    ("~1hr", 60, True),
    ("3h 8m", 188, False),
    ("54 hours 10 minutes", 3250, False),
])
def test_duration(written, minutes, approximate):
    parsed = parse_duration_min(written)
    assert parsed.value == minutes
    assert parsed.approximate is approximate


@pytest.mark.parametrize("written, message", [
    ("-5 min", "negative"),
    ("45 days", "longer than 30 days"),
    ("5 apples", "not a duration"),
    ("soon", "not a duration"),
    (True, "not a duration"),
])
def test_duration_rejects(written, message):
    with pytest.raises(ValueError, match=message):
        parse_duration_min(written)


@pytest.mark.parametrize("written, number, approximate", [
    ("1,480", 1480, False),
    ("~3,200", 3200, True),
    ("1.2k", 1200, True),
    ("about 40 clinics", 40, True),
    ("none", 0, False),
    ("0", 0, False),
    ("100-200", 200, True),
    ("3,200+", 3200, True),
    (1480, 1480, False),
    (12.0, 12, False),
    ("no patients", 0, False),
    ("None affected", 0, False),
    ("zero", 0, False),
])
def test_count(written, number, approximate):
    parsed = parse_count(written)
    assert parsed.value == number
    assert parsed.approximate is approximate


@pytest.mark.parametrize("written", ["1.5", "abc", "-3", "many", "No estimate yet", "no reliable count",
                                     "None reported", "No way to know", "not counted"])
def test_count_rejects(written):
    with pytest.raises(ValueError):
        parse_count(written)


@pytest.mark.parametrize("written, severity", [
    ("SEV1", "SEV1"), ("Sev 2", "SEV2"), ("SEV-1", "SEV1"), ("sev1", "SEV1"), ("S1", "SEV1"),
    ("Severity 1", "SEV1"), ("3", "SEV3"), (2, "SEV2"), ("SEV2 (According to the matrix)", "SEV2"),
    ("SEV1 - patient facing", "SEV1"),
])
def test_severity(written, severity):
    assert parse_severity(written) == severity


@pytest.mark.parametrize("written, severity, word", [
    ("SEV0", "SEV1", "SEV0"), ("SEV4", "SEV3", "SEV4"), ("Sev-5", "SEV3", "Sev-5"), ("P0", "SEV1", "P0"),
    ("P1", "SEV1", "P1"), ("p2", "SEV2", "P2"), ("P3", "SEV3", "P3"), ("P4", "SEV3", "P4"), ("Priority 2", "SEV2", "P2"),
    ("Critical", "SEV1", "Critical"), ("High", "SEV2", "High"), ("Medium", "SEV3", "Medium"), ("Low", "SEV3", "Low"),
    ("Major", "SEV2", "Major"), ("Minor", "SEV3", "Minor"), ("Major outage", "SEV1", "Major outage"),
    ("Partial outage", "SEV2", "Partial outage"), ("Down", "SEV1", "Down"), ("disrupted", "SEV2", "disrupted"),
    ("Notice", "SEV3", "Notice"), ("SEV2 (According to the matrix)", "SEV2", "SEV2"),
])
def test_severity_of_other_scales_keeps_the_word_written(written, severity, word):
    assert severity_and_word(written) == (severity, word)


@pytest.mark.parametrize("written", ["SEV1 / SEV2", "10", "banana", "P9", "x" * 300])
def test_severity_rejects(written):
    with pytest.raises(ValueError):
        parse_severity(written)


@pytest.mark.parametrize("written, left", [
    ("<put time here>", True), ("< ## Unknown >", True), ("Unknown", True), ("N/A", True), ("TBD", True),
    ("", True), (None, True), ("SEV1 / SEV2 / SEV3 (According to ...)", True), ("<Patient/Provider> <Web/iOS>", True),
    ("5 min", False), (0, False), ("None", False), ([], True), (["x"], False),
])
def test_placeholder(written, left):
    assert is_placeholder(written) is left


@pytest.mark.parametrize("written, name, offset_min", [
    ("PST", "PST", -480), ("PDT", "PDT", -420), ("EST", "EST", -300), ("CEST", "CEST", 120), ("BST", "BST", 60),
    ("IST", "IST", 330), ("UTC", "UTC", 0), ("GMT", "GMT", 0), ("utc+2", "UTC+02:00", 120),
    ("GMT-05:30", "UTC-05:30", -330), ("Europe/Berlin", "Europe/Berlin", None),
    ("Pacific Time", "America/Los_Angeles", None), ("PST (Pacific)", "PST", -480),
    ("SAST", "SAST", 120), ("GST", "GST", 240), ("AEST", "AEST", 600), ("CET", "CET", 60),
    ("Eastern", "America/New_York", None), ("US/Pacific", "America/Los_Angeles", None),
    ("Pacific Standard Time", "PST", -480),
])
def test_timezone(written, name, offset_min):
    zone = resolve_timezone(written)
    assert zone.name == name
    if offset_min is not None:
        assert zone.tz.utcoffset(None).total_seconds() / 60 == offset_min


def test_unknown_timezone():
    with pytest.raises(ValueError, match="not a timezone"):
        resolve_timezone("Mars/Olympus")


def test_iana_zone_follows_daylight_saving():
    zone = resolve_timezone("America/Los_Angeles")
    assert parse_timestamp("08:40 AM", zone, date(2025, 1, 15)) == datetime(2025, 1, 15, 16, 40, tzinfo=timezone.utc)
    assert parse_timestamp("08:40 AM", zone, date(2025, 7, 15)) == datetime(2025, 7, 15, 15, 40, tzinfo=timezone.utc)


def test_abbreviation_is_taken_as_written_with_a_warning_in_summer():
    zone = resolve_timezone("PST")
    assert parse_timestamp("08:40 AM", zone, date(2025, 7, 15)) == datetime(2025, 7, 15, 16, 40, tzinfo=timezone.utc)
    assert "PDT" in dst_mismatch(zone, date(2025, 7, 15))
    assert dst_mismatch(zone, date(2025, 1, 15)) is None


@pytest.mark.parametrize("written, clock", [
    ("08:40 AM", time(8, 40)), ("8:40pm", time(20, 40)), ("14:05", time(14, 5)), ("12:00 AM", time(0, 0)),
    ("12:30 PM", time(12, 30)), ("8.40 a.m.", time(8, 40)), ("23:59:30", time(23, 59, 30)), ("9:15p", time(21, 15)),
    ("7 PM", time(19, 0)), ("03:26pm", time(15, 26)), ("14.43", time(14, 43)),
])
def test_clock(written, clock):
    assert find_clock(written)[0] == clock


@pytest.mark.parametrize("written", ["14:12 Alert fired", "10:05 Apply fix"])
def test_clock_does_not_take_a_word_for_am_pm(written):
    assert find_clock(written)[0].hour in (14, 10)


@pytest.mark.parametrize("written", ["25:00", "13:00 PM", "noon", "10 minutes", "5 apples"])
def test_clock_rejects(written):
    assert find_clock(written) is None


@pytest.mark.parametrize("written, day", [
    ("2025-03-04", date(2025, 3, 4)), ("March 4, 2025", date(2025, 3, 4)), ("4 Mar 2025", date(2025, 3, 4)),
    ("Tue, March 4, 2025 08:40", date(2025, 3, 4)), ("2025/03/04", date(2025, 3, 4)), ("03/04/2025", date(2025, 3, 4)),
    ("6th November, 2022", date(2022, 11, 6)), ("On 31st July 2018", date(2018, 7, 31)),
    ("Oct 21, 2019", date(2019, 10, 21)), ("Tuesday, March 5, 2024", date(2024, 3, 5)),
    ("21-10-2019", date(2019, 10, 21)), ("04.03.2025", date(2025, 3, 4)), ("October 21st, 2019", date(2019, 10, 21)),
    ("Sept. 3, 2021", date(2021, 9, 3)), ("5 Marchx 2020 or 2020-03-05", date(2020, 3, 5)),
])
def test_date(written, day):
    assert find_date(written)[0] == day


def test_ambiguous_numeric_dates_follow_the_documents_other_dates():
    assert numeric_date_order("Started 05/10/2025, resolved 05/13/2025") is False
    assert numeric_date_order("Started 13/05/2025, resolved 14/05/2025") is True
    assert numeric_date_order("05/10/2025") is None
    # The file name settles what the text does not: 5 October in 2025-10-05-…, 10 May in 2025-05-10-….
    assert numeric_date_order("05/10/2025", "2025-10-05-batch") is True
    assert numeric_date_order("05/10/2025", "2025-05-10-batch") is False
    assert numeric_date_order("05/10/2025", "2025-07-01-batch") is None, "a name that is neither day"
    assert numeric_date_order("05/05/2025", "2025-05-05-batch") is None, "the same both ways"
    assert numeric_date_order("05/10/2025 and 13/10/2025", "2025-05-10-batch") is True, "the text tells first"
    assert numeric_date_order("Reviewed 10/05/2025. Date: 05/10/2025", "2025-05-10-batch") is None, "both ways: no"
    assert find_date("05/10/2025", day_first=True)[0] == date(2025, 10, 5)
    assert find_date("05/10/2025", day_first=False)[0] == date(2025, 5, 10)
    assert find_date("05-10-2025")[0] == date(2025, 10, 5), "dashes read day first when nothing tells"


@pytest.mark.parametrize("written, drill", [
    ("Drill", True), ("test", True), ("Game day", True), ("Exercise", True), ("Simulation", True),
    ("test-infra", False), ("test environment", False), ("drill-down report", False), ("testing", False),
    ("Test coverage", False),
])
def test_only_a_whole_drill_word_marks_a_drill(written, drill):
    assert is_drill(written) is drill


def test_timestamp_with_own_offset_or_zone_wins_over_document_zone():
    pst = resolve_timezone("PST")
    assert parse_timestamp("2025-03-04T08:40:00Z", pst, None) == datetime(2025, 3, 4, 8, 40, tzinfo=timezone.utc)
    assert parse_timestamp("March 4, 2025 8:40 PM EST", pst, None) == datetime(2025, 3, 5, 1, 40, tzinfo=timezone.utc)


@pytest.mark.parametrize("written", ["2025-03-04T03:40:00-05:00", "2025-03-04T03:40:00.250-05:00",
                                     "2025-03-04 03:40:00 -05:00", "2025-03-04 03:40 UTC-5"])
def test_a_negative_offset_keeps_its_sign(written):
    """The minus of "-05:00" was stripped as punctuation: the time was then rejected, or read five hours east."""
    assert parse_timestamp(written, resolve_timezone("PST"), None) == datetime(2025, 3, 4, 8, 40, tzinfo=timezone.utc)


@pytest.mark.parametrize("written", ["10:00-10:20", "2025-03-04 10:00-10:20"])
def test_a_range_is_never_read_as_a_time_and_a_negative_offset(written):
    """Without seconds before it, "-10:20" ends a range: an error naming it, never 10:00 at UTC-10:20."""
    with pytest.raises(ValueError, match="unknown timezone"):
        parse_timestamp(written, resolve_timezone("UTC"), date(2025, 3, 4))


def test_a_day_without_its_year_takes_the_incidents_year():
    zone = resolve_timezone("UTC")
    assert parse_timestamp("Oct 21, 18:46 UTC", zone, date(2019, 6, 1)) == datetime(2019, 10, 21, 18, 46, tzinfo=timezone.utc)


def test_a_day_without_its_year_is_the_nearest_across_new_year():
    zone = resolve_timezone("UTC")
    assert parse_timestamp("Jan 1 00:40", zone, date(2025, 12, 31)) == datetime(2026, 1, 1, 0, 40, tzinfo=timezone.utc)
    assert parse_timestamp("Dec 31 23:10", zone, date(2026, 1, 2)) == datetime(2025, 12, 31, 23, 10, tzinfo=timezone.utc)
    assert month_day_near("Jun 10", date(2025, 1, 5)) == (date(2025, 6, 10), 0, 6)


def test_a_row_with_its_own_zone_keeps_it():
    pst = resolve_timezone("PST")
    assert parse_timestamp("7:09 AM Eastern", pst, date(2019, 10, 1)) == datetime(2019, 10, 1, 11, 9, tzinfo=timezone.utc)
    assert parse_timestamp("2:10am SAST", pst, date(2019, 10, 1)) == datetime(2019, 10, 1, 0, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("parse", [parse_duration_min, parse_count, parse_severity])
def test_a_value_too_long_to_be_a_number_is_refused_quickly(parse):
    with pytest.raises(ValueError, match="too long"):
        parse("1" * 100_000)
