"""What the shipped deployment files promise: Flower not open to the world."""

from __future__ import annotations

from typing import Any

import yaml

from tests.services import ROOT

COMPOSE = ROOT / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_flower_listens_on_the_hosts_loopback_only_and_takes_basic_auth() -> None:
    flower = _compose()["services"]["flower"]
    assert flower["ports"], "Flower publishes no port"
    assert all(str(port).startswith("127.0.0.1:") for port in flower["ports"])
    assert "FLOWER_BASIC_AUTH" in flower["environment"]
