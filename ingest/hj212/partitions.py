"""The monthly partitions of ``raw.hj212_reading`` and ``raw.hj212_packet`` a file needs, made
before its COPY (migration ``0016_hj212_partitions.sql`` holds the layout and the function).

A file's readings route by CN class and the local month of their DataTime, its packets by CN
class and the month of the hour they were received. Before a file is stored the loader asks the
warehouse function ``raw.hj212_ensure_partitions`` for those months, in a short transaction of its
own (so the load transaction never holds the creation lock, and a partition made by one load is
visible to every other at once). Months already known to exist in this process cost nothing: the
check runs once a month per worker, not once a file.

Only months near the file are created ahead: a reading dated far from the hour its file was
received (a device clock reset to 2000-01-01) lands in the class's default partition instead of
creating a partition of its own; it is still stored, never rejected.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable

import sqlalchemy as sa

from ingest.hj212.protocol import LOCAL_TZ

log = logging.getLogger(__name__)

# How far from the hour a file was received its readings' months are created ahead: history
# uploads after an outage reach back weeks (a year is generous); a device sends nothing dated
# later than the next month. Outside the window: the default partition.
MONTHS_BACK = 12
MONTHS_AHEAD = 1

_known: set[tuple[str, str, dt.date]] = set()  # (warehouse, family, month) seen to exist
_known_lock = threading.Lock()


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of the local (UTC+8) month holding ``moment``: the partitions' bounds."""
    local = moment.astimezone(LOCAL_TZ)
    return dt.date(local.year, local.month, 1)


def _month_index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def ahead(received: dt.datetime) -> list[dt.date]:
    """The month of the hour a file was received and the next one. Asking for the next month
    early moves its creation away from the hour its first rows arrive: if the lock cannot be had
    then (see :func:`ensure`), a later file asks again long before any row needs it."""
    month = month_of(received)
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return [month, following]


def months_near(times: Iterable[dt.datetime], received: dt.datetime) -> list[dt.date]:
    """The distinct months of ``times`` within the window around the ``received`` hour."""
    base = _month_index(month_of(received))
    months = {month_of(t) for t in times}
    return sorted(m for m in months if -MONTHS_BACK <= _month_index(m) - base <= MONTHS_AHEAD)


def ensure(engine: sa.Engine, family: str, months: Iterable[dt.date]) -> int:
    """Make sure the monthly partitions of ``family`` ('reading' or 'packet') exist for
    ``months``; return how many were created now. A lock the warehouse cannot grant in time
    (a long query on a default partition: attaching locks it) is logged and skipped within
    seconds: the rows then land in the default partition, and the next call for that month
    moves them into its partition."""
    where = engine.url.render_as_string(hide_password=True)
    with _known_lock:
        wanted = sorted({m for m in months if (where, family, m) not in _known})
    if not wanted:
        return 0
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("set local lock_timeout = '5s'")
            created = conn.execute(
                sa.text("select raw.hj212_ensure_partitions(:family, cast(:months as date[]))"),
                {"family": family, "months": wanted},
            ).scalar_one()
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "pgcode", None) != "55P03":  # lock_not_available
            raise
        log.warning("HJ 212 %s partitions for %s not created (lock timeout)", family, wanted)
        return 0
    with _known_lock:
        _known.update((where, family, m) for m in wanted)
    return int(created)


def forget() -> None:
    """Drop what this process knows exists (after partitions were dropped, or in tests)."""
    with _known_lock:
        _known.clear()
