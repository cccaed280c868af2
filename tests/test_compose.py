"""docker-compose.yml checked statically (no Docker engine here): it parses, has the services
with health-gated ordering, and takes every secret from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_their_order() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "migrate-load", "api"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert int(services["postgres"]["image"].split(":")[1]) >= 16
    assert "healthcheck" in services["postgres"]
    assert services["migrate-load"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["migrate-load"]["condition"] == "service_completed_successfully"
    assert "pgdata" in COMPOSE["volumes"]
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])


def test_no_secret_is_written_inline() -> None:
    for name, service in COMPOSE["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key:
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", str(value)), f"{name}.{key} must come from the env"
            if key == "DATABASE_URL":
                assert "${POSTGRES_PASSWORD}" in value and "@postgres:5432/" in value


def test_commands_are_the_cli_and_images_build_from_the_repo() -> None:
    services = COMPOSE["services"]
    assert "shopetl migrate" in " ".join(services["migrate-load"]["command"])
    assert services["api"]["command"][:2] == ["shopetl", "serve"]
    assert (ROOT / "Dockerfile").exists()
    assert services["api"]["build"] == "."
    env_example = (ROOT / ".env.example").read_text()
    assert "POSTGRES_PASSWORD=\n" in env_example  # shipped empty
