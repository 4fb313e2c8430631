"""Python timeout values computed from known values (docs/evaluation.md D34): ``TIMEOUT * 2`` with
``TIMEOUT`` read from the environment is twice the variable's default, or twice the value the
deployment gives it."""

from __future__ import annotations

from pathlib import Path

from .samples import of, run_json

APP = """import os
import requests

TIMEOUT = int(os.getenv("BACKEND_TIMEOUT", "4"))


def login(addr):
    return requests.get(f"http://{addr}/login", timeout=TIMEOUT * 2)
"""


def _service(root: Path, compose: str | None) -> Path:
    (root / "front").mkdir()
    (root / "front" / "app.py").write_text(APP)
    (root / "front" / "requirements.txt").write_text("requests\n")
    if compose is not None:
        (root / "docker-compose.yaml").write_text(compose)
    return root


def test_twice_an_env_default(tmp_path):
    (call,) = of(run_json("scan", _service(tmp_path, None), "--no-cache")["facts"], "http_call")
    assert (call["timeout_ms"], call["timeout_source"], call["timeout_env"]) == (8000, "env_default", "BACKEND_TIMEOUT")


def test_twice_the_deployments_value(tmp_path):
    compose = "services:\n  front:\n    build: ./front\n    environment:\n      BACKEND_TIMEOUT: '3'\n"
    (call,) = of(run_json("scan", _service(tmp_path, compose), "--no-cache")["facts"], "http_call")
    assert (call["timeout_ms"], call["timeout_source"], call["timeout_env"]) == (6000, "config", "BACKEND_TIMEOUT")
