"""What `pip install wooerp` brings: the product, not the sandbox's ERP server."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_ONLY = {"trytond", "trytond-sale", "trytond-account-invoice-stock", "proteus"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-")
            for r in requirements}


def test_the_tryton_server_is_an_extra_not_a_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _names(project["dependencies"]) & SANDBOX_ONLY == set()
    assert _names(project["optional-dependencies"]["sandbox"]) >= SANDBOX_ONLY


def test_the_readme_commands_install_the_sandbox_extra():
    assert '[sandbox,test]' in (ROOT / "bootstrap.py").read_text()
