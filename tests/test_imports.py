"""Every module of the forum package imports on its own, in a fresh interpreter.

The app always imports its modules in the same order, so a circular import that breaks
only when one particular module comes first would go unnoticed until a command, a
worker or a test imported that module first. The modules are found by walking the
package, so a new or moved module is checked without being listed here.
"""

import os
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import forum

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(info.name for info in pkgutil.walk_packages(forum.__path__, "forum."))


def _import_alone(module: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def imports(request):
    """The selected modules' imports, started together (each interpreter spends most of
    its time starting up, so they overlap well); each test waits for its own."""
    selected = [item.callspec.params["module"] for item in request.session.items
                if item.path == request.path and hasattr(item, "callspec")]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        yield {module: pool.submit(_import_alone, module) for module in selected}


def test_the_walk_finds_the_subpackages_modules():
    # A walk that found nothing, or only the top level, would leave little to fail below.
    assert any(name.count(".") >= 2 for name in MODULES), MODULES


@pytest.mark.parametrize("module", ["forum", *MODULES])
def test_a_module_imports_first_of_all(imports, module):
    result = imports[module].result()
    assert result.returncode == 0, f"import {module} on its own:\n{result.stderr[-3000:]}"
