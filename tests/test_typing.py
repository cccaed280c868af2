"""The Python is typed: mypy finds nothing in the three packages.

The packages live in folders named after the data (orchestrator/, graphql/, flyte/) and are
installed under other names (pyproject.toml, package-dir), which mypy cannot follow through the
editable install; the test lays the folders out under their import names with symlinks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"shopetl": "orchestrator", "shopetl_graphql": "graphql", "shopetl_flyte": "flyte"}


@pytest.mark.slow
def test_mypy_finds_no_error_in_the_packages(tmp_path: Path) -> None:
    if shutil.which("mypy", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mypy is not installed (it comes with the dev extra: pip install -e '.[dev]')")
    for name, folder in PACKAGES.items():
        (tmp_path / name).symlink_to(ROOT / folder, target_is_directory=True)
    args = [arg for name in PACKAGES for arg in ("-p", name)]
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / ".mypy_cache"), *args],
        cwd=tmp_path, env={"MYPYPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, f"mypy found errors (run it as this test does):\n{done.stdout}{done.stderr}"
