"""The packages form layers, each importing only those below it (README "Layers"):
``ihanoi`` (composition root) → ``api``, ``scheduler`` → ``projections`` → ``application`` →
``domain``; and the domain imports no framework. The contracts are ``[tool.importlinter]`` in
pyproject.toml; import-linter checks them on the imports as written (lazy ones too)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_package_imports_a_layer_above_it_and_the_domain_no_framework():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([lint_imports, "--config", "pyproject.toml", "--no-cache",
                             "--no-logo"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
