"""The suite reads nothing of the project's from outside the repository
(tests/fixtures/repo_only.py): what a clone elsewhere lacks fails here too."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.fixtures.repo_only import ROOT, outside_reads

SHARED = ROOT.parent / "shared" / "reference" / "woocommerce" / "order.json"


def test_reads_beside_the_repository_are_caught_and_the_interpreters_are_not(tmp_path):
    mine = tmp_path / "payload.json"
    mine.write_text("{}")
    with outside_reads() as caught:
        for outside in (SHARED, "/srv/reference/order.json"):
            try:
                open(outside).close()
            except OSError:  # missing here too: the read was still attempted
                pass
        (ROOT / "tests" / "data" / "order_created_delivery.json").read_text()
        json.loads(mine.read_text())
        open(json.__file__).close()  # the standard library
        open("/proc/self/status").close()
        (tmp_path / "written.txt").write_text("a write is not a read")
    assert caught == [str(SHARED), "/srv/reference/order.json"]


def test_a_test_that_reads_beside_the_repository_fails_with_the_path(tmp_path):
    """The same hook, as the suite runs it: the test fails, naming the file."""
    (tmp_path / "test_reads_shared.py").write_text(textwrap.dedent(f"""
        from pathlib import Path

        def test_reads_the_shared_reference():
            try:
                Path({str(SHARED)!r}).read_text()
            except OSError:
                pass
    """))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # its own rootdir: no search upwards
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
         str(tmp_path / "pytest.ini"), "-p", "tests.fixtures.repo_only",
         str(tmp_path / "test_reads_shared.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout
    assert "read files outside the repository" in run.stdout and str(SHARED) in run.stdout
