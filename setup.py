"""setup.py — owns building the compiled part of the Python package ksmg for pip: build_ext runs
CMake on this repository (library, front-end helpers and the pybind11 module, nothing else) and
puts the module ksmg/_ksmg*.so into the wheel next to bindings/python/ksmg/*.py, *.pyi and py.typed
(declared in pyproject.toml).

    /usr/bin/python3 -m pip install --no-build-isolation .        # see bindings/python/INSTALL.md

Where CMake builds:
- KSMG_PYTHON_BUILD_DIR=DIR: an existing, configured CMake build tree (e.g. build/); only
  `cmake --build DIR --target _ksmg` runs, so a tree that is up to date costs seconds.
- otherwise build-python/cmake in the repository, configured with -DKSMG_BUILD_TESTS=OFF
  -DKSMG_BUILD_BENCH=OFF for the interpreter that runs pip and kept between installs.
setuptools' own intermediate files (build/lib..., the egg-info) go to build-python/ too, so they
never mix with the project's CMake tree in build/.
Other knobs: KSMG_CMAKE_ARGS (extra configure arguments, split on spaces),
CMAKE_BUILD_PARALLEL_LEVEL (jobs; default: every core).
"""
import glob
import os
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_BASE = os.path.join(HERE, "build-python")


class CMakeExtension(Extension):
    """An extension CMake builds: no sources for setuptools to compile."""

    def __init__(self, name: str, target: str):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def run(self):
        if shutil.which("cmake") is None:
            raise RuntimeError("building ksmg needs cmake (Debian: apt-get install cmake; "
                               "scripts/install-deps.sh installs everything)")
        for ext in self.extensions:
            self.build_cmake(ext)

    def build_cmake(self, ext: CMakeExtension):
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        existing = os.environ.get("KSMG_PYTHON_BUILD_DIR")
        if existing:
            build_dir = os.path.abspath(existing)
            if not os.path.isfile(os.path.join(build_dir, "CMakeCache.txt")):
                raise RuntimeError(f"KSMG_PYTHON_BUILD_DIR={existing}: not a configured CMake "
                                   "build tree (no CMakeCache.txt)")
        else:
            build_dir = os.path.join(BUILD_BASE, "cmake")
            configure = ["cmake", "-S", HERE, "-B", build_dir,
                         "-DCMAKE_BUILD_TYPE=Release", "-DKSMG_BUILD_TESTS=OFF",
                         "-DKSMG_BUILD_BENCH=OFF", "-DKSMG_BUILD_PYTHON=ON",
                         f"-DPython3_EXECUTABLE={sys.executable}"]
            if shutil.which("ninja") and not os.path.isfile(os.path.join(build_dir,
                                                                         "CMakeCache.txt")):
                configure += ["-G", "Ninja"]
            configure += shlex.split(os.environ.get("KSMG_CMAKE_ARGS", ""))
            self.announce("configuring: " + " ".join(configure), level=2)
            subprocess.run(configure, check=True)
        build = ["cmake", "--build", build_dir, "--target", ext.target, "--parallel", jobs]
        self.announce("building: " + " ".join(build), level=2)
        subprocess.run(build, check=True)

        built = sorted(glob.glob(os.path.join(build_dir, "python", "ksmg", "_ksmg*.so")))
        if not built:
            raise RuntimeError(f"the build left no python/ksmg/_ksmg*.so in {build_dir}")
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        self.copy_file(built[0], dest)


os.makedirs(BUILD_BASE, exist_ok=True)
setup(
    ext_modules=[CMakeExtension("ksmg._ksmg", target="_ksmg")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": BUILD_BASE}, "egg_info": {"egg_base": BUILD_BASE}},
    zip_safe=False,
)
