"""A served sandbox ERP: a copy of the template database plus a trytond process.

Layout under the data dir:
    templates/<key>/          the cached seeded template (unless shared elsewhere)
    db/wooerp.sqlite          the served database (a copy of the template)
    db/key                    which template it was copied from
    trytond.conf, admin.pass (0600), trytond.log, erp.json
"""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from sandbox.erp.config import ErpConnection, write_trytond_conf
from sandbox.erp.template import Template, bin_path, checkpoint, ensure_template

DATABASE = "wooerp"
USER = "admin"
PASSWORD_ENV = "WOOERP_ERP_ADMIN_PASSWORD"
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(data_dir: Path, template: Template, fresh: bool = False) -> Path:
    """Copy the template to the served database unless a current copy exists.

    A copy made from another template key (new year, new module versions)
    is replaced; otherwise the ERP keeps its state across restarts.
    """
    db_dir = data_dir / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    served, key_file = db_dir / f"{DATABASE}.sqlite", db_dir / "key"
    current = key_file.read_text() if key_file.exists() else None
    password_file = data_dir / "admin.pass"
    if fresh or not served.exists() or current != template.directory.name:
        for stale in db_dir.glob(f"{DATABASE}.sqlite*"):  # including -wal/-shm
            stale.unlink()
        shutil.copyfile(template.sqlite, served)
        key_file.write_text(template.directory.name)
        shutil.copyfile(template.password_file, password_file)
        password_file.chmod(0o600)
    wanted = os.environ.get(PASSWORD_ENV)
    if wanted and (not password_file.exists() or password_file.read_text().strip() != wanted):
        _set_admin_password(served, wanted)
        password_file.write_text(wanted)
        password_file.chmod(0o600)
    return served


def _set_admin_password(sqlite_file: Path, password: str) -> None:
    # Same hasher trytond's res.user uses; far faster than `trytond-admin -p`,
    # which loads the whole pool just to write one column.
    import pwdlib
    import pwdlib.hashers.argon2

    hashed = pwdlib.PasswordHash([pwdlib.hashers.argon2.Argon2Hasher()]).hash(password)
    with sqlite3.connect(sqlite_file) as connection:
        connection.execute(
            "UPDATE res_user SET password_hash = ? WHERE login = ?", (hashed, USER))
    connection.close()


def notify_env(notify: Mapping[str, str] | None) -> dict[str, str]:
    """wooerp_link's [wooerp] options (url, secret, timeout, attempts) as the
    TRYTOND_WOOERP__* variables trytond reads: the secret stays out of
    trytond.conf and the logs."""
    return {f"TRYTOND_WOOERP__{key.upper()}": str(value)
            for key, value in (notify or {}).items()}


class TrytonServer:
    """One trytond process serving one preloaded database (RECIPE.md 3).

    `notify` turns on wooerp_link's notifications (see notify_env)."""

    def __init__(self, data_dir: Path, port: int, notify: Mapping[str, str] | None = None):
        self.data_dir, self.port = data_dir, port
        self.notify = dict(notify or {})
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connection(self) -> ErpConnection:
        return ErpConnection(
            url=self.url, database=DATABASE, user=USER,
            password_file=str((self.data_dir / "admin.pass").resolve()),
            pid=self.process.pid if self.process else None)

    def start(self) -> ErpConnection:
        conf = write_trytond_conf(self.data_dir, self.data_dir / "db", self.port)
        log = open(self.data_dir / "trytond.log", "ab")
        self.process = subprocess.Popen(
            [bin_path("trytond"), "-c", str(conf), "-d", DATABASE],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **notify_env(self.notify)})
        log.close()
        self._wait_ready()
        return self.connection()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        body = {"id": 0, "method": "common.server.version", "params": []}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"trytond exited with {self.process.returncode}; see {self.data_dir}/trytond.log")
            try:
                if httpx.post(f"{self.url}/rpc/", json=body, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"trytond not ready on {self.url} after {READY_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        # Leave a self-contained file behind (no -wal/-shm needed to read it).
        try:
            checkpoint(self.data_dir / "db" / f"{DATABASE}.sqlite")
        except sqlite3.Error:
            pass  # another process still has it open; the WAL files stay valid


def start_instance(data_dir: Path, port: int | None = None, templates_dir: Path | None = None,
                   fresh: bool = False, log=print, notify: Mapping[str, str] | None = None,
                   ) -> tuple[TrytonServer, ErpConnection, bool]:
    """Template (cached) → database copy → served trytond → erp.json.

    Returns (server, connection, template_built).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    # erp.json appears only once the server answers, so a parent process can
    # wait for the file; a stale one from the last run must not fool it.
    (data_dir / "erp.json").unlink(missing_ok=True)
    template, built = ensure_template(templates_dir or data_dir / "templates", log=log)
    prepare_database(data_dir, template, fresh=fresh)
    server = TrytonServer(data_dir, port or free_port(), notify=notify)
    connection = server.start()
    connection.write(data_dir / "erp.json")
    return server, connection, built
