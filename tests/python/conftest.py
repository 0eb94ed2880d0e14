"""Shared fixtures of the Python package's tests (run by ctest: tests/CMakeLists.txt, test python_package_*).

They need what the C++ data tests need: the labelled photos of ../shared/data (or $FACESEARCH_TEST_DATA), the
installed default model pack, the built extension on PYTHONPATH and the built `facesearch` command ($FACESEARCH_CLI)
whose output the package's results are compared with. Anything missing fails the run with a message; nothing is
skipped.
"""

import json
import math
import os
import subprocess
from pathlib import Path

import pytest


def _required_env(name: str, what: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"${name} is not set: {what} (ctest sets it; see tests/CMakeLists.txt)", pytrace=False)
    return value


@pytest.fixture(scope="session")
def data() -> Path:
    folder = Path(os.environ.get("FACESEARCH_TEST_DATA") or _required_env(
        "FACESEARCH_TEST_DATA_DEFAULT", "where the labelled photos are"))
    if not (folder / "deepface_testset").is_dir():
        pytest.fail(f"no test photos in '{folder}': these tests need the labelled photos of ../shared/data beside "
                    "the checkout (or set FACESEARCH_TEST_DATA)", pytrace=False)
    return folder


@pytest.fixture(scope="session")
def cli_path() -> str:
    path = _required_env("FACESEARCH_CLI", "the built facesearch command")
    if not os.access(path, os.X_OK):
        pytest.fail(f"the facesearch command '{path}' is not built", pytrace=False)
    return path


@pytest.fixture(scope="session")
def cli(cli_path):
    """Runs the facesearch command with --json; returns its JSON Lines as a list of dicts."""

    def run(*args: str) -> list:
        done = subprocess.run([cli_path, "--quiet", *args, "--json"], capture_output=True, text=True)
        assert done.returncode == 0, f"facesearch {' '.join(args)} failed ({done.returncode}): {done.stderr}"
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    return run


@pytest.fixture(scope="session")
def facesearch_module():
    import facesearch  # noqa: F401  (PYTHONPATH=<build>/python)
    return facesearch


@pytest.fixture(scope="session")
def engine(facesearch_module):
    return facesearch_module.Engine()


def rounded(value: float, unit: float) -> float:
    """app/records.cpp's rounding of the --json records: to a multiple of `unit`, halves away from zero."""
    steps = abs(value) / unit
    whole = math.floor(steps + 0.5)
    return math.copysign(whole / round(1 / unit), value)


def rounded_box(box) -> list:
    return [rounded(v, 0.1) for v in box]


def rounded_landmarks(points) -> list:
    return [[rounded(x, 0.1), rounded(y, 0.1)] for x, y in points]
