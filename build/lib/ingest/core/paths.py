"""Where Lantian's project files are: the dbt project, its seeds, the configuration.

One setting for every way Lantian runs: ``LANTIAN_HOME`` names the folder that holds
``dbt_project/`` and ``config/`` (an image sets it to its copy of them); without it, the
checkout this package was imported from.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent.parent


def project_root() -> Path:
    """``LANTIAN_HOME``, default the checkout of this package."""
    return Path(os.environ.get("LANTIAN_HOME") or CHECKOUT).resolve()


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def seeds_dir() -> Path:
    return dbt_project_dir() / "seeds"


def config_dir() -> Path:
    return project_root() / "config"
