"""The layers point one way: catalog <- media <- indexer <- web (import-linter)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT = "from importlinter.cli import lint_imports; import sys; sys.exit(lint_imports())"


def run_lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LINT], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_layers_point_one_way() -> None:
    done = run_lint(REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_contract_catches_an_upward_import(tmp_path: Path) -> None:
    # The same contract on a copy of the layout with one forbidden import must fail,
    # so the test above cannot pass by checking nothing.
    for package in ("catalog", "media", "indexer", "web"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "catalog" / "bad.py").write_text("import web\n")
    config = (REPO / "pyproject.toml").read_text()
    contract = config[config.index("[tool.importlinter]"):]
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(contract))
    done = run_lint(tmp_path)
    assert done.returncode != 0 and "catalog.bad -> web" in done.stdout
