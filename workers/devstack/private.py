"""The embedded stack's data directory is private to its user.

It holds the ledger, Temporal's state, the sandbox store (with the webhook
secret and API keys), the ERP database, logs and every generated credential,
so: the directory 0700, its files 0600, and the processes that write there
create nothing wider (umask 077, inherited by every child). What an earlier
release left 0755/0644 is tightened on start; only wooerp's own entries are
touched, in case the data directory was pointed somewhere shared.
"""
from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
# What the stack keeps in its data directory (sqlite files with their -wal/-shm).
OURS = ("ledger.sqlite", "temporal.sqlite", "dev-secrets.json", "dev.json", "dev.env",
        "dev.tmp", "codec.keys", "logs", "store", "erp")


def make_private(data_dir: Path) -> None:
    """umask 077 for this process (and so its children), then tighten what exists."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True)
    _tighten(data_dir)
    for entry in data_dir.iterdir():
        if entry.name.startswith(OURS):
            _tighten(entry)
            if entry.is_dir() and not entry.is_symlink():
                for root, dirs, files in os.walk(entry):
                    for name in dirs + files:
                        _tighten(Path(root) / name)


def _tighten(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            return  # a link's target may be anything (a shared cache); leave it alone
        # Group and other lose every bit; the owner keeps its own (0644 -> 0600).
        private = stat.S_IMODE(mode) & 0o700 | (0o700 if stat.S_ISDIR(mode) else 0)
        if private != stat.S_IMODE(mode):
            path.chmod(private)
