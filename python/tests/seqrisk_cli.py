"""The `seqrisk` binary the tests compare the package with: $SEQRISK_BIN, default
target/debug/seqrisk (which scripts/test-python.sh builds)."""

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("SEQRISK_BIN", str(ROOT / "target" / "debug" / "seqrisk"))


def run(*args, cwd):
    """Run `seqrisk ARGS` in `cwd`; it must succeed."""
    done = subprocess.run([BIN, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done
