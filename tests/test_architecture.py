"""The layers point one way: catalog <- media <- indexer <- web, and inside catalog/ and
web/ the areas too (import-linter, the contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = "from importlinter.cli import lint_imports; import sys; sys.exit(lint_imports())"


def run_lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LINT], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_layers_point_one_way() -> None:
    done = run_lint(REPO)
    assert done.returncode == 0, done.stdout + done.stderr


AREAS = ("library", "evidence", "org", "planning", "attendance", "records", "reports")


def _skeleton(tmp_path: Path, bad: str, line: str) -> subprocess.CompletedProcess[str]:
    """The contracts of pyproject.toml on an empty copy of the layout with one import."""
    for package in ("catalog", "media", "indexer", "web"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        if package in ("catalog", "web"):
            for area in AREAS:
                (tmp_path / package / area).mkdir()
                (tmp_path / package / area / "__init__.py").write_text("")
    (tmp_path / bad).write_text(line + "\n")
    config = (REPO / "pyproject.toml").read_text()
    contract = config[config.index("[tool.importlinter]"):]
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(contract))
    return run_lint(tmp_path)


def test_the_contract_catches_an_upward_import(tmp_path: Path) -> None:
    # The same contract on a copy of the layout with one forbidden import must fail,
    # so the test above cannot pass by checking nothing.
    done = _skeleton(tmp_path, "catalog/bad.py", "import web")
    assert done.returncode != 0 and "catalog.bad -> web" in done.stdout


@pytest.mark.parametrize(("bad", "line", "shown"), [
    ("catalog/org/bad.py", "import catalog.planning", "catalog.org.bad -> catalog.planning"),
    ("catalog/library/bad.py", "import catalog.evidence",
     "catalog.library.bad -> catalog.evidence"),
    ("catalog/library/bad.py", "import catalog.org", "catalog.library.bad -> catalog.org"),
    ("catalog/evidence/bad.py", "import catalog.planning",
     "catalog.evidence.bad -> catalog.planning"),
    ("web/library/bad.py", "import web.org", "web.library.bad -> web.org"),
    ("web/evidence/bad.py", "import web.planning", "web.evidence.bad -> web.planning"),
    ("catalog/planning/bad.py", "import catalog.attendance",
     "catalog.planning.bad -> catalog.attendance"),
    ("web/planning/bad.py", "import web.attendance", "web.planning.bad -> web.attendance"),
    ("catalog/records/bad.py", "import catalog.reports",
     "catalog.records.bad -> catalog.reports"),
    ("web/records/bad.py", "import web.reports", "web.records.bad -> web.reports"),
])
def test_an_area_importing_one_above_it_breaks_the_contract(
        tmp_path: Path, bad: str, line: str, shown: str) -> None:
    done = _skeleton(tmp_path, bad, line)
    assert done.returncode != 0 and shown in done.stdout, done.stdout[-2000:]
