"""Fixtures: clients of the running Engram that scripts/python-client-test.sh started."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

# The tests import the package from the source tree (no install needed).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engram_client import EngramClient  # noqa: E402


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: these tests run against a real Engram; "
            "run them with `bash scripts/python-client-test.sh`",
            pytrace=False,
        )
    return value


@pytest.fixture(scope="session")
def url() -> str:
    return _env("ENGRAM_URL")


@pytest.fixture(scope="session")
def tokens() -> dict[str, str]:
    return {
        "alice": _env("ENGRAM_TOKEN_ALICE"),
        "bob": _env("ENGRAM_TOKEN_BOB"),
        "alice_read": _env("ENGRAM_TOKEN_ALICE_READ"),
        "forged": _env("ENGRAM_TOKEN_FORGED"),
    }


@pytest.fixture(scope="session")
def alice(url: str, tokens: dict[str, str]) -> EngramClient:
    return EngramClient(url, tokens["alice"], user_id="alice")


@pytest.fixture(scope="session")
def bob(url: str, tokens: dict[str, str]) -> EngramClient:
    return EngramClient(url, tokens["bob"], user_id="bob")


@pytest.fixture()
def tag() -> Callable[[str], str]:
    """Words unique to one test, so that deduplication and filters see only its memories."""
    run = uuid.uuid4().hex[:10]
    return lambda text: f"{text} [{run}]"
