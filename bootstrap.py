#!/usr/bin/env python3
"""Install everything wooerp needs into ./.venv, then run one job in it.

    python3 bootstrap.py demo [args]   # the embedded stack + demo traffic
    python3 bootstrap.py test [args]   # the whole test suite (args: pytest's, one process)
    python3 bootstrap.py wooerp ...    # any CLI command

Only the standard library is used here, because this runs before anything
is installed. The install is repeated only when pyproject.toml changes.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".wooerp-installed"
WHOLE_SUITE = ["-n", "2"]


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_installed() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"wooerp needs Python >= 3.11, this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("bootstrap: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("bootstrap: installing wooerp and its dependencies into .venv", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    # The sandbox extra brings the embedded Tryton ERP the demo and the tests run.
    subprocess.run([*pip, "install", "-e", f"{ROOT}[sandbox,test]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "wooerp"}:
        print(__doc__)
        return 2
    ensure_installed()
    job, rest = argv[0], argv[1:]
    if job == "test":
        # The whole suite runs in two processes, the e2e package in one and the
        # rest in the other (tests/conftest.py groups them), each in collection
        # order with its own Temporal, Tryton and store; with arguments, one process.
        cmd = [str(BIN / "python"), "-m", "pytest", *(rest or WHOLE_SUITE)]
    elif job == "demo":
        cmd = [str(BIN / "wooerp"), "demo", *rest]
    else:
        cmd = [str(BIN / "wooerp"), *rest]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
