"""The package as the image installs it (issue 14, finding 6): not editable, run from another
working directory, finding the dbt project and the configuration through ``LANTIAN_HOME`` (the
image's ``/opt/lantian``, which compose sets), not beside the installed code.

The package is installed with pip (``--no-deps --target``) into a folder of its own; the test's
interpreter supplies the pinned dependencies, and the subprocess proves it imported the installed
copy, not this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REAL, REPO

STEPS = """
import json, pathlib, sys
import ingest, pipelines
target = pathlib.Path(sys.argv[1]).resolve()
assert pathlib.Path(ingest.__file__).resolve().is_relative_to(target), ingest.__file__
assert pathlib.Path(pipelines.__file__).resolve().is_relative_to(target), pipelines.__file__
import datetime as dt
from pipelines.station import load_reference, load_station_interval
from pipelines.dbt import run_dbt
reference = load_reference()
end = dt.datetime.fromisoformat(sys.argv[2])
loaded = load_station_interval(end - dt.timedelta(hours=1), end, loaded_by="image")
seeded = run_dbt(["seed", "--select", "aqi_categories"])
print(json.dumps({"reference": reference["changed"], "loaded": loaded["batches_loaded"],
                  "seeded": seeded.success}))
"""


@pytest.mark.slow
def test_the_installed_package_runs_its_steps_from_another_folder(
    make_database: Callable[[str], str], tmp_path: Path
) -> None:
    source = tmp_path / "src"  # pip builds in the source folder: a copy, not the checkout
    for name in ("ingest", "expectations", "pipelines", "samples", "receiver"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", source / "pyproject.toml")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--disable-pip-version-check", "--target", str(target), str(source)],
        check=True, cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert (target / "ingest" / "core" / "migrations" / "0001_schemas.sql").exists()
    assert (target / "expectations" / "suites").is_dir()
    assert (target / "receiver" / "__main__.py").exists()  # python -m receiver in the image
    assert not (target / "dbt_project").exists()  # the project files are not package data
    home = tmp_path / "opt-lantian"  # what the image copies to /opt/lantian
    shutil.copytree(
        REPO / "dbt_project", home / "dbt_project", ignore=shutil.ignore_patterns("target", "logs")
    )
    shutil.copytree(REPO / "config", home / "config")
    inbox = home / "inbox" / "national_station"
    inbox.mkdir(parents=True)
    real = sorted(REAL.glob("*.csv"))[-1]
    shutil.copy(real, inbox / real.name)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "LANTIAN_HOME": str(home),
        "LANTIAN_INBOX": str(home / "inbox"),
        "LANTIAN_STATE": str(home / "state"),
        "WAREHOUSE_URL": make_database("installed"),
    }
    env.pop("LANTIAN_PROFILE", None)
    migrate = subprocess.run(
        [sys.executable, "-m", "pipelines", "migrate"], cwd=workdir, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    hour_end = f"{real.stem[:10]}T{real.stem[11:13]}:00:00+08:00"
    steps = subprocess.run(
        [sys.executable, "-c", STEPS, str(target), hour_end], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert steps.returncode == 0, steps.stdout[-2000:] + steps.stderr[-3000:]
    assert steps.stdout.strip().splitlines()[-1] == (
        '{"reference": true, "loaded": 1, "seeded": true}'
    )
