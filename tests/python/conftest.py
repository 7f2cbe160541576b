"""conftest.py — owns locating the built Python module `ksmg` for the pytest suite of the
bindings (tests/python) and the fixtures every test file shares: the repository paths, engines
on the example ClamAV database, and messages made from real samples of tests/data.

The package is imported from $KSMG_BUILD_DIR/python (default: <repo>/build/python), put first on
sys.path, so that the tests exercise the tree that was just built and never an installed copy.
A missing or unloadable module fails the run with a message that says where it looked; it is
never a skip.
"""
import base64
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
BUILD_DIR = pathlib.Path(os.environ.get("KSMG_BUILD_DIR", REPO / "build")).resolve()
PYTHON_DIR = BUILD_DIR / "python"

sys.path.insert(0, str(PYTHON_DIR))
try:
    import ksmg  # noqa: E402
except ImportError as e:  # not built, or built for another interpreter
    raise ImportError(
        f"the Python module ksmg is not importable from {PYTHON_DIR} ({e}); build it first: "
        f"cmake --build {BUILD_DIR} --target _ksmg (KSMG_BUILD_DIR chooses the build tree; run "
        f"with Debian's /usr/bin/python3)") from e
if pathlib.Path(ksmg.__file__).resolve().parent != PYTHON_DIR / "ksmg":
    raise ImportError(f"imported ksmg from {ksmg.__file__}, not from {PYTHON_DIR}/ksmg")

# The 68-byte EICAR test file (also tests/data/av/eicar/eicar.com); the example database detects
# it by the SHA-256 of exactly these bytes.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
AV_DB = REPO / "examples" / "clamav"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: builds the module through pip (minutes without KSMG_PYTHON_BUILD_DIR); "
        "part of the full run, deselect with -m 'not slow'")


def eicar_message(filename: str = "eicar.com") -> bytes:
    """A message from outside with EICAR as a base64 attachment."""
    b64 = base64.encodebytes(EICAR).replace(b"\n", b"\r\n")
    return (b"From: Alice <alice@example.net>\r\nTo: bob@example.org\r\nSubject: virus\r\n"
            b"Message-ID: <eicar@example.net>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            b"--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsee attached\r\n"
            b"--b\r\nContent-Type: application/octet-stream; name=\"" + filename.encode() +
            b"\"\r\nContent-Disposition: attachment; filename=\"" + filename.encode() +
            b"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--b--\r\n")


def clean_message() -> bytes:
    return (b"From: Alice <alice@example.net>\r\nTo: bob@example.org\r\nSubject: lunch\r\n"
            b"Message-ID: <clean@example.net>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nNoon at the usual place?\r\n")


@pytest.fixture(scope="session")
def repo() -> pathlib.Path:
    return REPO


@pytest.fixture(scope="session")
def data() -> pathlib.Path:
    return DATA


@pytest.fixture(scope="session")
def build_dir() -> pathlib.Path:
    return BUILD_DIR


@pytest.fixture(scope="session")
def av_db() -> pathlib.Path:
    return AV_DB


@pytest.fixture(scope="session")
def engine():
    """The built-in defaults with the example ClamAV database (EICAR + ClamAV's test file)."""
    return ksmg.Engine(av_db=AV_DB)


@pytest.fixture(scope="session")
def content_engine():
    """tests/data/content/content.toml: content filter on, anti-virus off."""
    return ksmg.Engine(config=DATA / "content" / "content.toml")


@pytest.fixture(scope="session")
def eicar_mail() -> bytes:
    return eicar_message()


@pytest.fixture(scope="session")
def clean_mail() -> bytes:
    return clean_message()
