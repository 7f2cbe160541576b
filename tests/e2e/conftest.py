"""conftest.py — locates the built ksmg tools for the end-to-end tests."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    d = pathlib.Path(os.environ.get("KSMG_BUILD_DIR", REPO / "build"))
    assert (d / "bin" / "ksmg").is_file(), f"build ksmg first (looked in {d}/bin)"
    return d


@pytest.fixture(scope="session")
def ksmg(build_dir) -> pathlib.Path:
    return build_dir / "bin" / "ksmg"


@pytest.fixture(scope="session")
def repo() -> pathlib.Path:
    return REPO
