"""Load the city profile (config/city_profile.yaml) into the warehouse's reference tables.

Configuration, not history: each load replaces the whole set in one transaction, and is one
``audit.load_batch`` row (skipped when the file's content was already loaded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from ingest.core import ledger

SOURCE = "city_profile"
TARGET_KEYS = {
    # profile key -> (indicator, direction)
    "pm2_5_annual_mean_target": ("pm2_5_annual_mean", "at_most"),
    "pm10_annual_mean_target": ("pm10_annual_mean", "at_most"),
    "good_days_target": ("good_days", "at_least"),
    "heavy_pollution_days_max": ("heavy_pollution_days", "at_most"),
}
TABLES = ("ref_city", "ref_station", "ref_peer_group", "ref_annual_target", "ref_exceptional_event")


class ProfileError(ValueError):
    """The profile file is not usable; the message names the file and the key."""


def rows_from_profile(profile: dict[str, Any], path: Path) -> dict[str, list[dict[str, Any]]]:
    """The reference rows a profile describes (no database)."""
    try:
        home = profile["city"]
        cities = [{"city": home["name"], "province": home.get("province"), "is_home_city": True}]
        stations = [
            {
                "station_code": s["code"],
                "station_name": s["name"],
                "city": home["name"],
                "county": s.get("county"),
                "network": network,
            }
            for key, network in (("stations", "national"), ("county_stations", "county"))
            for s in home.get(key, [])
        ]
        for peer in profile.get("peer_cities", []):
            cities.append(
                {"city": peer["name"], "province": peer.get("province"), "is_home_city": False}
            )
            stations += [
                {
                    "station_code": s["code"],
                    "station_name": s["name"],
                    "city": peer["name"],
                    "county": s.get("county"),
                    "network": "national",
                }
                for s in peer.get("stations", [])
            ]
        groups = [
            {
                "group_id": gid,
                "group_name": g["name"],
                "city": city,
                "source": g["source"],
                "list_year": g.get("year"),
            }
            for gid, g in profile.get("peer_groups", {}).items()
            for city in g["cities"]
        ]
        targets = [
            {
                "city": home["name"],
                "target_year": int(t["year"]),
                "indicator": indicator,
                "target_value": t[key],
                "direction": direction,
                "source": t["source"],
            }
            for t in profile.get("targets", [])
            for key, (indicator, direction) in TARGET_KEYS.items()
            if key in t
        ]
        events = [
            {
                "city": e["city"],
                "event_date": e["date"],
                "event_type": e["type"],
                "source": e["source"],
            }
            for e in profile.get("exceptional_events", [])
        ]
    except (KeyError, TypeError) as exc:
        raise ProfileError(f"{path}: missing or malformed key {exc}") from exc
    return {
        "ref_city": cities,
        "ref_station": stations,
        "ref_peer_group": groups,
        "ref_annual_target": targets,
        "ref_exceptional_event": events,
    }


def load_profile(engine: sa.Engine, path: Path) -> int | None:
    """Replace the reference tables with the profile's content; return the batch id (None if unchanged)."""
    data = path.read_bytes()
    try:
        profile = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from exc
    rows = rows_from_profile(profile, path)
    count = sum(len(v) for v in rows.values())
    with engine.begin() as conn:
        batch_id = ledger.snapshot_batch(
            conn,
            SOURCE,
            path,
            data,
            count,
            "reference",
            current_batch=ledger.latest_batch(conn, SOURCE),
            reuse_earlier_version=False,
        )
        if batch_id is None:
            return None
        for table in TABLES:
            conn.execute(sa.text(f"delete from raw.{table}"))
            if rows[table]:
                columns = ", ".join(rows[table][0])
                values = ", ".join(f":{c}" for c in rows[table][0])
                conn.execute(
                    sa.text(
                        f"insert into raw.{table} (batch_id, {columns}) values ({batch_id}, {values})"
                    ),
                    rows[table],
                )
    return batch_id
