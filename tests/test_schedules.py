"""Schedules said in words become dated trips, or a choice when the days are open (issue 12): never an assumed
date. Today is Tuesday 2026-12-01."""
from __future__ import annotations

import datetime as dt

import pytest

from ledger.status.schedules import Schedule, ScheduleChoice, read_schedule

TODAY = dt.date(2026, 12, 1)
DECEMBER_SATURDAYS = ("2026-12-05", "2026-12-12", "2026-12-19", "2026-12-26")


def days(schedule) -> tuple[str, ...]:
    return tuple(d.isoformat() for d in schedule.days)


@pytest.mark.parametrize("said", [
    "what if I fly HND-OKA round trips on Standard every weekend in December",
    "毎週土曜に羽田沖縄往復したら",
    "12月に毎週末沖縄往復",
    "every Saturday until the end of the year",
])
def test_a_weekly_schedule_is_every_such_day_in_its_window(said):
    schedule = read_schedule(said, TODAY)
    assert isinstance(schedule, Schedule) and days(schedule) == DECEMBER_SATURDAYS


def test_until_a_month_crosses_into_next_year_and_stops_at_its_end():
    schedule = read_schedule("every Sunday until March", TODAY)
    assert days(schedule)[0] == "2026-12-06" and days(schedule)[-1] == "2027-03-28" and len(schedule.days) == 17


@pytest.mark.parametrize("said, count", [("twice a month until March", 8), ("月2回、3月まで", 8)])
def test_twice_a_month_leaves_the_days_open_and_offers_both_readings(said, count):
    choice = read_schedule(said, TODAY)
    assert isinstance(choice, ScheduleChoice) and len(choice.options) == 2
    first, second = choice.options
    assert len(first.days) == len(second.days) == count and set(first.days).isdisjoint(second.days)
    assert all(d.weekday() == 5 for o in choice.options for d in o.days)


def test_a_number_of_trips_offers_the_next_saturdays_or_spread_to_year_end():
    choice = read_schedule("what if I do 3 round trips", TODAY)
    assert [o.reading for o in choice.options] == ["next", "spread"]
    assert days(choice.options[0]) == DECEMBER_SATURDAYS[:3]
    assert days(choice.options[1]) == ("2026-12-02", "2026-12-16", "2026-12-31")


def test_more_trips_than_saturdays_left_offers_only_the_spread():
    choice = read_schedule("年末までに5回", TODAY)
    assert [o.reading for o in choice.options] == ["spread"] and len(choice.options[0].days) == 5
    assert max(choice.options[0].days) <= dt.date(2026, 12, 31)


@pytest.mark.parametrize("said", ["what if I fly HND-OKA on Standard tomorrow", "羽田から那覇に乗ったら", ""])
def test_no_schedule_named_is_none(said):
    assert read_schedule(said, TODAY) is None
