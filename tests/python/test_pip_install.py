"""test_pip_install.py — owns pip installability of the ksmg package without network:
`pip install --no-build-isolation .` at the repository root (pyproject.toml + setup.py, whose
build_ext builds the module with CMake) into a --target directory and into a venv with the system
site packages, then `import ksmg` from there in a fresh interpreter and a scan of an EICAR
message. Debian's pip refuses to install into the system (PEP 668), hence --target and the venv.

Marked slow: with KSMG_PYTHON_BUILD_DIR unset setup.py configures and builds the library in
build-python/ (minutes); these tests point it at the project's build tree ($KSMG_BUILD_DIR, the
one the other tests import from) when that is configured, so `cmake --build` has nothing or
little to do. Deselect with -m 'not slow'.
"""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

CHECK = textwrap.dedent(r'''
    import base64, sys, ksmg
    print(ksmg.__file__)
    print(ksmg.__version__)
    e = ksmg.Engine(av_db=sys.argv[1])
    eicar = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    msg = (b"From: a@example.net\r\nTo: b@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: application/octet-stream; name=e.com\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(eicar) + b"--b--\r\n")
    v = e.scan(msg)
    print(v.action, v.status("antivirus"))
    print(ksmg.parse(msg).parts[1].body == eicar)
''')


def pip_env(build_dir: pathlib.Path) -> dict:
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    if (build_dir / "CMakeCache.txt").is_file():
        env["KSMG_PYTHON_BUILD_DIR"] = str(build_dir)
    else:
        env.pop("KSMG_PYTHON_BUILD_DIR", None)
    return env


def run(cmd, env, cwd, timeout=3600):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd,
                       timeout=timeout)
    assert p.returncode == 0, (cmd, p.stdout[-4000:], p.stderr[-4000:])
    return p


def check_import(python, env, cwd, site: pathlib.Path, av_db):
    p = run([python, "-c", CHECK, av_db], env, cwd)
    where, version, verdict, body = p.stdout.splitlines()[-4:]
    assert pathlib.Path(where).resolve().is_relative_to(site.resolve()), where
    assert version == "0.1.0"
    assert verdict == "reject infected"
    assert body == "True"


def test_pip_install_target(repo, build_dir, av_db, tmp_path):
    site = tmp_path / "site"
    env = pip_env(build_dir)
    run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
         "--no-index", "--target", site, repo], env, tmp_path)
    pkg = site / "ksmg"
    assert sorted(p.name for p in pkg.glob("*.py")) == ["__init__.py"]
    assert (pkg / "_ksmg.pyi").is_file() and (pkg / "py.typed").is_file()
    [so] = pkg.glob("_ksmg*.so")
    assert so.stat().st_size > 0
    [info] = site.glob("ksmg-0.1.0.dist-info")
    assert "Name: ksmg" in (info / "METADATA").read_text()
    # A fresh interpreter that sees only the installed copy (not build/python, not the repo).
    check_import(sys.executable, dict(env, PYTHONPATH=str(site)), tmp_path, site, av_db)


def test_pip_install_into_a_venv(repo, build_dir, av_db, tmp_path):
    import importlib.util
    if importlib.util.find_spec("ensurepip") is None:  # Debian: python3-venv
        pytest.fail("python3-venv is not installed (apt-get install python3-venv)")
    venv = tmp_path / "venv"
    env = pip_env(build_dir)
    run([sys.executable, "-m", "venv", "--system-site-packages", venv], env, tmp_path)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--no-build-isolation", "--no-index", repo], env,
        tmp_path)
    where = "import sysconfig; print(sysconfig.get_path('platlib'))"
    site = pathlib.Path(run([python, "-c", where], env, tmp_path).stdout.strip())
    check_import(python, env, tmp_path, site, av_db)
    p = run([python, "-m", "pip", "show", "ksmg"], env, tmp_path)
    assert "Version: 0.1.0" in p.stdout


def test_unconfigured_build_dir_is_refused(repo, tmp_path):
    env = dict(os.environ, PIP_NO_INDEX="1", KSMG_PYTHON_BUILD_DIR=str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-deps", "--no-index", "--target", str(tmp_path / "site"), str(repo)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert p.returncode != 0
    assert "not a configured CMake build tree" in p.stdout + p.stderr
