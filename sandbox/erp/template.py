"""The seeded Tryton template database, built once and cached.

Building a database (trytond-admin + seed) takes ~25 s; copying a template
takes milliseconds. The template is keyed by everything that shapes it: the
installed trytond module versions, our wooerp_link module and seed sources,
the catalog, and the calendar year (fiscal years exist for this year and next
only, RECIPE.md section 3).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from sandbox.erp import config as erp_config

MODULES = ("sale", "account_invoice_stock", "wooerp_link")
TEMPLATE_DB = "template"
ADMIN_TIMEOUT_S = 300  # a cold trytond-admin run takes ~20 s on 2 cores
SEED_TIMEOUT_S = 180


@dataclass(frozen=True)
class Template:
    directory: Path

    @property
    def sqlite(self) -> Path:
        return self.directory / f"{TEMPLATE_DB}.sqlite"

    @property
    def password_file(self) -> Path:
        return self.directory / "admin.pass"

    @property
    def facts(self) -> dict:
        return json.loads((self.directory / "seed.json").read_text())


def template_key() -> str:
    """A short hash of everything the template's content depends on."""
    digest = hashlib.sha256()
    versions = sorted(
        f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()
        if (d.metadata["Name"] or "").lower().startswith(("trytond", "proteus")))
    digest.update("\n".join(versions).encode())
    here = Path(__file__).resolve().parent
    link = Path(find_spec("systems.erp.tryton.wooerp_link").submodule_search_locations[0])
    sources = sorted(link.glob("*")) + [here / "seed.py", here.parent / "catalog.py"]
    for source in sources:
        if source.is_file():
            digest.update(source.name.encode() + source.read_bytes())
    digest.update(str(date.today().year).encode())
    return f"{date.today().year}-{digest.hexdigest()[:16]}"


def default_templates_dir() -> Path:
    """Where built Tryton databases are cached ($WOOERP_TRYTON_TEMPLATES)."""
    default = Path.home() / ".cache" / "wooerp" / "tryton-templates"
    return Path(os.environ.get("WOOERP_TRYTON_TEMPLATES", default))


def ensure_template(templates_dir: Path, log=print) -> tuple[Template, bool]:
    """Return the cached template for this key, building it first if missing.

    Returns (template, built). A file lock makes concurrent callers wait for
    one build instead of racing two.
    """
    templates_dir.mkdir(parents=True, exist_ok=True)
    target = templates_dir / template_key()
    template = Template(target)
    with open(templates_dir / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if template.sqlite.exists():
            return template, False
        log(f"building Tryton template {target.name} (first start only, ~30 s)")
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=templates_dir))
        try:
            _build(staging)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return template, True


def _build(staging: Path) -> None:
    password_file = staging / "admin.pass"
    password_file.write_text(secrets.token_urlsafe(18))
    password_file.chmod(0o600)
    conf = erp_config.write_trytond_conf(staging, staging, port=0)
    (staging / f"{TEMPLATE_DB}.sqlite").touch()  # the sqlite backend won't create it
    env = {**os.environ, "TRYTONPASSFILE": str(password_file)}
    _run([bin_path("trytond-admin"), "-c", str(conf), "-d", TEMPLATE_DB, "--all",
          "-u", *MODULES, "--activate-dependencies", "--email", "admin@example.com"],
         env=env, timeout=ADMIN_TIMEOUT_S, log_file=staging / "admin.log")
    _run([sys.executable, "-m", "sandbox.erp.seed", "-c", str(conf), "-d", TEMPLATE_DB,
          "-o", str(staging / "seed.json")],
         env=env, timeout=SEED_TIMEOUT_S, log_file=staging / "seed.log")
    checkpoint(staging / f"{TEMPLATE_DB}.sqlite")


def checkpoint(sqlite_file: Path) -> None:
    """Fold any WAL back into the main file so a plain copy is complete."""
    with sqlite3.connect(sqlite_file) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def bin_path(name: str) -> str:
    # The console scripts live next to the running interpreter in a venv.
    candidate = Path(sys.executable).with_name(name)
    if candidate.exists():
        return str(candidate)
    if shutil.which(name):
        return name
    raise RuntimeError(f"{name} is not installed: the sandbox ERP needs the sandbox extra "
                       "(pip install 'wooerp[sandbox]')")


def _run(argv: list[str], env: dict, timeout: float, log_file: Path) -> None:
    with open(log_file, "w") as log:
        result = subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                timeout=timeout, check=False)
    if result.returncode != 0:
        tail = log_file.read_text()[-2000:]
        raise RuntimeError(f"{Path(argv[0]).name} failed ({result.returncode}):\n{tail}")
