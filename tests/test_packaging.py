"""The wheel a non-editable install (`pip install .`) gets holds the whole forum."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a fresh clone does not have: a stale build/ would hide a package left out.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                    "node_modules", "__pycache__", "artifacts", "instance")


def test_the_wheel_holds_every_module_and_data_file(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet",
         "-w", str(tmp_path / "wheel")],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())
    wanted = {str(path.relative_to(ROOT)) for pattern in ("*.py", "data/*.txt", "data/*.toml")
              for path in (ROOT / "forum").rglob(pattern) if "__pycache__" not in path.parts}
    assert wanted, "found no forum files to look for"
    assert wanted - packed == set(), "left out of the wheel"
