"""The installed package carries every file the service reads at run time.

The Docker image installs the project as a wheel (`pip install .`), not from the source
tree: a template, stylesheet, script, translation, SQL schema or migration missing from
the wheel is a broken page or a service that cannot start, and no other test (they all
run from the source tree) would notice.
"""
import os
import shutil
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "directory_service")


def source_files():
    """Every file below directory_service/ that is not a build by-product."""
    found = set()
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                continue
            found.add(os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/"))
    return found


def test_the_wheel_holds_every_file_of_the_package(tmp_path):
    # Built from a clean copy, as the Docker build does: setuptools never empties a
    # build/ folder, so a build in the working tree can carry files of an older one.
    source = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("directory_service", "indexer"):
        shutil.copytree(os.path.join(ROOT, name), source / name, ignore=skip)
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(wheels), str(source)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = list(wheels.glob("*.whl"))
    inside = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(source_files() - inside)
    assert not missing, f"not in the wheel (setup.cfg package_data): {missing}"
    # The kinds the service reads at run time are all there (the walk found them).
    for needed in ("directory_service/templates/staff/coach.html",
                   "directory_service/static/staff.js",
                   "directory_service/search/embedded/schema.sql",
                   "directory_service/availability/migrations/env.py",
                   "directory_service/translations/es/LC_MESSAGES/messages.mo"):
        assert needed in inside
