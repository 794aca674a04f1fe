"""The validated interval: which ``day`` rows of a daily model a [start, end) interval selects,
or which days a run changed (:meth:`DayWindow.from_days`).

``day`` is a natural day in local time (China Standard Time, UTC+8, no daylight saving).
A day belongs to the interval when its local midnight lies in [start, end). For intervals on
local-midnight boundaries (e.g. Airflow daily data intervals 16:00 UTC .. 16:00 UTC) that is
exactly the days covered. Otherwise a day cut by ``start`` is left out and a day cut by ``end``
is taken in. Naive datetimes are read as local time.

A run bounded by what it changed (issue 15) validates a set of days instead: the rows whose day
column, as a date, is one of the days or the first day of one of their months (so a monthly
model's ``month_start`` rows of a changed month are taken too; a daily model then also gets the
1st of each such month: a few rows more, never fewer). A suite that names a ``batch_column``
(a table of loaded rows, such as the staged readings) validates the rows of the run's new batches
instead: exactly what the run changed, however many days they span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

LOCAL_TZ = timezone(timedelta(hours=8), "UTC+08:00")


def as_local(ts: datetime) -> datetime:
    """An aware datetime in local time; a naive one is taken to be local already."""
    if ts.tzinfo is None:
        return ts.replace(tzinfo=LOCAL_TZ)
    return ts.astimezone(LOCAL_TZ)


def _first_day_starting_at_or_after(ts: datetime) -> date:
    local = as_local(ts)
    return local.date() if local.time() == time(0) else local.date() + timedelta(days=1)


@dataclass(frozen=True)
class DayWindow:
    """Days ``first <= day < end`` (either bound may be open)."""

    start: datetime | None  # the interval as given, made aware
    end: datetime | None
    first_day: date | None
    end_day: date | None  # exclusive
    days: tuple[date, ...] | None = None  # the days a run changed, sorted (None: the range)
    batches: tuple[int, ...] | None = None  # the batches it loaded (None: not known)

    @classmethod
    def from_days(cls, days: Iterable[date], batches: Iterable[int] | None = None) -> DayWindow:
        """The window of the days a run changed (and of the batches it loaded, when given);
        ``start``/``end`` span the days (for the record)."""
        chosen = tuple(sorted(set(days)))
        loaded = None if batches is None else tuple(sorted(set(batches)))
        if not chosen:
            return cls(None, None, None, None, (), loaded)
        start = datetime.combine(chosen[0], time(0), LOCAL_TZ)
        end = datetime.combine(chosen[-1] + timedelta(days=1), time(0), LOCAL_TZ)
        return cls(start, end, chosen[0], chosen[-1] + timedelta(days=1), chosen, loaded)

    @classmethod
    def from_interval(cls, start: datetime | None, end: datetime | None) -> DayWindow:
        start_aware = as_local(start) if start is not None else None
        end_aware = as_local(end) if end is not None else None
        if start_aware is not None and end_aware is not None and start_aware >= end_aware:
            raise ValueError(f"empty interval: start {start_aware} is not before end {end_aware}")
        return cls(
            start=start_aware,
            end=end_aware,
            first_day=_first_day_starting_at_or_after(start) if start is not None else None,
            end_day=_first_day_starting_at_or_after(end) if end is not None else None,
        )

    def where_sql(self, day_column: str, batch_column: str | None = None) -> str:
        """A SQL condition on ``day_column`` (a trusted identifier), or on ``batch_column`` for
        a run whose batches are known; ``true`` when unbounded."""
        if self.days is not None and batch_column is not None and self.batches is not None:
            if not self.batches:
                return "false"
            return f'"{batch_column}" in ({", ".join(str(int(b)) for b in self.batches)})'
        if self.days is not None:
            if not self.days:
                return "false"
            keys = sorted(set(self.days) | {d.replace(day=1) for d in self.days})
            listed = ", ".join(f"date '{d.isoformat()}'" for d in keys)
            return f'cast("{day_column}" as date) in ({listed})'
        conds = []
        if self.first_day is not None:
            conds.append(f"\"{day_column}\" >= date '{self.first_day.isoformat()}'")
        if self.end_day is not None:
            conds.append(f"\"{day_column}\" < date '{self.end_day.isoformat()}'")
        return " and ".join(conds) or "true"

    def describe(self) -> str:
        if self.days is not None:
            if not self.days:
                return "no day changed"
            return f"{len(self.days)} changed day(s) in [{self.days[0]}, {self.days[-1]}]"
        first = self.first_day.isoformat() if self.first_day else "-∞"
        end = self.end_day.isoformat() if self.end_day else "+∞"
        return f"[{first}, {end})"
