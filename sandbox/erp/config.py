"""trytond.conf and erp.json: the files a sandbox ERP instance is described by."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

# [session] timeout is also the TTL of the server's database-list cache and
# the window the pay wizard's fresh_session check allows; max_attempt is
# raised because tests log in with bad credentials on purpose (RECIPE.md 6).
TRYTOND_CONF = """\
[database]
uri = sqlite://
path = {db_dir}

[web]
listen = 127.0.0.1:{port}

[session]
timeout = 604800
max_attempt = 1000
"""


def write_trytond_conf(directory: Path, db_dir: Path, port: int) -> Path:
    conf = directory / "trytond.conf"
    conf.write_text(TRYTOND_CONF.format(db_dir=db_dir.resolve(), port=port))
    return conf


@dataclass(frozen=True)
class ErpConnection:
    """What a client needs to reach the sandbox ERP; written to erp.json.

    The password itself stays in password_file, never in erp.json or logs.
    """

    url: str
    database: str
    user: str
    password_file: str
    pid: int | None = None

    def password(self) -> str:
        return Path(self.password_file).read_text().strip()

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> "ErpConnection":
        return cls(**json.loads(path.read_text()))
