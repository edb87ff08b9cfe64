"""A self-signed certificate for the emulator's HTTPS port (Basic auth needs HTTPS)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def ensure_cert(data_dir: Path) -> tuple[Path, Path]:
    cert, key = data_dir / "tls-cert.pem", data_dir / "tls-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    if shutil.which("openssl") is None:
        raise RuntimeError("--tls-port needs the `openssl` command to make a self-signed certificate")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    key.chmod(0o600)
    return cert, key
