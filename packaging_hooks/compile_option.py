"""setuptools' build backend, with the parser optionally compiled by mypyc.

``PM_ANALYTICS_COMPILE=1`` builds a wheel whose hot parsing modules (compiled_modules.py) are C
extensions made by mypyc from the same annotated Python: about 1.3x faster per file, the same records
(tests/test_compiled_parser.py holds them to the interpreted parser's). It needs a C compiler and Python's
headers; mypy is fetched for the build only. Without the variable the wheel is pure Python, as before.
Only a wheel compiles: an sdist ships the sources, and an editable install runs the module a developer
edits, never a stale build of it.
"""

import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403 - every hook this module does not override

COMPILE_ENV = "PM_ANALYTICS_COMPILE"
# What setup.py reads: set here, by the wheel's build, and nowhere else.
COMPILING_ENV = "PM_ANALYTICS_COMPILING_WHEEL"
# mypyc's output depends on its version: one, moved on purpose.
MYPY = "mypy==2.4.1"


def compiling() -> bool:
    return os.environ.get(COMPILE_ENV, "") == "1"


def get_requires_for_build_wheel(config_settings=None):
    return _setuptools.get_requires_for_build_wheel(config_settings) + ([MYPY] if compiling() else [])


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    os.environ[COMPILING_ENV] = "1" if compiling() else "0"
    try:
        return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    finally:
        os.environ.pop(COMPILING_ENV, None)
