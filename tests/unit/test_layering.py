"""The layers of DESIGN.md, enforced by reading every import (ast, no execution).

    workers -> workflows -> activities -> systems -> canonical

- canonical imports nothing of ours and nothing but the standard library and pydantic;
- workflows import canonical, workflows and activity names only, and none of
  the I/O libraries (Temporal's sandbox would reject them at run time anyway);
- no layer imports a layer above it; product code never imports sandbox/;
- inside workers/, each room imports only the rooms below it (config <- sagas
  <- worker, ingress, devstack <- cli), and only the saga client API
  (workers/sagas/) and the worker process talk to Temporal's client.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"canonical", "systems", "activities", "workflows", "workers", "sandbox", "tests", "bench"}
# Which of our packages each product package may import.
ALLOWED_OURS = {
    "canonical": {"canonical"},
    "systems": {"systems", "canonical"},
    "activities": {"activities", "systems", "canonical"},
    "workflows": {"workflows", "activities", "canonical"},
    "workers": {"workers", "workflows", "activities", "systems", "canonical"},
}
CANONICAL_THIRD_PARTY = {"pydantic", "pydantic_core", "typing_extensions", "annotated_types"}
# The rooms of workers/ and which of them each may import.
WORKER_ROOMS = {
    "config": {"config"},
    "sagas": {"sagas", "config"},
    "worker": {"worker", "sagas", "config"},
    "ingress": {"ingress", "sagas", "config"},
    "devstack": {"devstack", "sagas", "config"},
    "cli": {"cli", "worker", "ingress", "devstack", "sagas", "config"},
}
TEMPORAL_CLIENT = {"temporalio.client", "temporalio.service", "temporalio.api",
                   "temporalio.contrib"}
TEMPORAL_CALLERS = {"sagas", "worker"}
WORKFLOW_FORBIDDEN = {
    "httpx", "requests", "urllib3", "aiohttp", "woocommerce", "sqlalchemy", "alembic", "psycopg",
    "psycopg2", "sqlite3", "socket", "subprocess", "trytond", "proteus", "starlette", "uvicorn",
    "http.client", "urllib.request",
}


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from pkg import mod` may import a submodule: check pkg.mod as well.
            found += [(node.lineno, f"{module}.{a.name}") for a in node.names if a.name != "*"]
    return found


def _matches(module: str, names: set[str]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


def violations(root: Path) -> list[str]:
    problems: list[str] = []
    for layer, allowed in ALLOWED_OURS.items():
        for path in sorted((root / layer).rglob("*.py")):
            rel = path.relative_to(root)
            parts = list(rel.with_suffix("").parts)
            package = ".".join(parts if parts[-1] == "__init__" else parts[:-1])
            for line, module in imported_modules(path, package.removesuffix(".__init__")):
                top = module.split(".")[0]
                where = f"{rel}:{line} imports {module}"
                if top in OURS and top not in allowed:
                    problems.append(f"{where}: {layer}/ may not import {top}/")
                elif layer == "canonical" and top not in OURS and top not in CANONICAL_THIRD_PARTY \
                        and top not in sys.stdlib_module_names:
                    problems.append(f"{where}: canonical/ is stdlib + pydantic only")
                elif layer == "workflows" and _matches(module, WORKFLOW_FORBIDDEN):
                    problems.append(f"{where}: workflows/ must not do I/O")
                if layer == "workers":
                    problems += _room_violations(parts, module, where)
    return problems


def _room_violations(parts: list[str], module: str, where: str) -> list[str]:
    room = parts[1] if len(parts) > 2 else None  # workers/<room>/<file>.py
    if room is None:
        return [f"{where}: workers/ holds rooms only; put {parts[-1]}.py in one"]
    if room not in WORKER_ROOMS:
        return [f"{where}: workers/{room}/ is not a known room"]
    found = []
    names = module.split(".")
    if names[0] == "workers" and len(names) > 1 and names[1] not in WORKER_ROOMS[room]:
        found.append(f"{where}: workers/{room}/ may not import workers/{names[1]}/")
    if _matches(module, TEMPORAL_CLIENT) and room not in TEMPORAL_CALLERS:
        found.append(f"{where}: only workers/sagas/ (the saga client API) talks to Temporal")
    return found


def test_the_product_respects_its_layers():
    assert violations(ROOT) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_check_catches_each_kind_of_violation(tmp_path):
    root = _tree(tmp_path, {
        "canonical/__init__.py": "",
        "canonical/money.py": "from decimal import Decimal\nimport pydantic\nimport httpx\n",
        "canonical/bad.py": "from . import money\nfrom ..systems import ledger\n",
        "workflows/saga.py": ("from temporalio import workflow\nfrom activities import contracts\n"
                              "from canonical.money import Money\n"
                              "with workflow.unsafe.imports_passed_through():\n"
                              "    import sqlalchemy.orm\n"
                              "from systems.ledger import Ledger\nfrom urllib import request\n"),
        "systems/ledger.py": "from activities import ping\n",
        "activities/ping.py": "from systems.ledger import Ledger\nimport sandbox.catalog\n",
        "workers/cli/main.py": "from workflows import saga\nfrom sandbox import demo\n",
        "workers/config/settings.py": "from workers.sagas import client\n",
        "workers/ingress/support.py": ("from temporalio.client import Client\n"
                                       "from temporalio.common import RetryPolicy\n"),
        "workers/loose.py": "import json\n",
    })
    found = "\n".join(violations(root))
    expected = [
        "canonical/money.py:3 imports httpx: canonical/ is stdlib + pydantic only",
        "canonical/bad.py:2 imports systems: canonical/ may not import systems/",
        "workflows/saga.py:5 imports sqlalchemy.orm: workflows/ must not do I/O",
        "workflows/saga.py:6 imports systems.ledger: workflows/ may not import systems/",
        "workflows/saga.py:7 imports urllib.request: workflows/ must not do I/O",
        "systems/ledger.py:1 imports activities: systems/ may not import activities/",
        "activities/ping.py:2 imports sandbox.catalog: activities/ may not import sandbox/",
        "workers/cli/main.py:2 imports sandbox: workers/ may not import sandbox/",
        "workers/config/settings.py:1 imports workers.sagas: workers/config/ may not import "
        "workers/sagas/",
        "workers/ingress/support.py:1 imports temporalio.client: only workers/sagas/",
        "workers/loose.py:1 imports json: workers/ holds rooms only",
    ]
    for line in expected:
        assert line in found, f"missing: {line}\n--- found:\n{found}"
    assert "money.py:1" not in found and "money.py:2" not in found  # stdlib, pydantic are fine
    assert "bad.py:1" not in found  # canonical importing canonical is fine
    assert "saga.py:1" not in found and "saga.py:2" not in found and "saga.py:3" not in found
    assert "support.py:2" not in found  # temporalio.common is plain data, not the client


def test_benchmarks_do_not_import_the_tests():
    """bench/ must run from an install without tests/ (and tests stay free to change)."""
    found = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in sorted((ROOT / "bench").rglob("*.py"))
             for line, module in imported_modules(path, "bench")
             if module.split(".")[0] == "tests"]
    assert found == []
