"""Starting the Streamlit dashboard the same way from a clone (``make run``) and from an installed wheel.

``pm-analytics dashboard`` becomes ``python -m streamlit run`` on ``app.py``
(at the top of a clone, or the wheel's copy in ``pm_analytics/_app/``; see
:mod:`pm_analytics.settings`): the same process, so stopping the command stops
the server. The project's ``.streamlit/config.toml`` is passed as ``streamlit
run`` flags: Streamlit reads that file only from the working directory (and, in
recent versions, beside the script), and flags win over every config file, so
headless, no usage statistics and 127.0.0.1 hold wherever the command is
started from.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from pm_analytics import settings


def _flag_value(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def streamlit_options(host: str, port: int, config: Path = settings.STREAMLIT_CONFIG) -> dict[str, str]:
    """``section.option`` -> value: the project's Streamlit config, with the address and port asked for."""
    with open(config, "rb") as file:
        sections = tomllib.load(file)
    options = {f"{section}.{key}": _flag_value(value)
               for section, values in sections.items() for key, value in values.items()}
    options["server.address"] = host
    options["server.port"] = str(port)
    return options


def streamlit_args(host: str, port: int) -> list[str]:
    """The arguments of ``streamlit`` that serve the dashboard: ``run <app.py> --<option> <value> ...``."""
    args = ["run", str(settings.APP_ROOT / "app.py")]
    for name, value in streamlit_options(host, port).items():
        args += [f"--{name}", value]
    return args


def serve(data: Path, cache: Path, host: str, port: int) -> int:
    """Serve the dashboard on ``data`` (a folder or ``.duckdb`` file) until it is stopped.

    The data source reaches the app through the environment variables a user
    would set. On POSIX this process becomes the server and never returns; on
    Windows (no exec) it waits for the server and returns its exit code."""
    env = {**os.environ, settings.DATA.env: str(data), settings.CACHE.env: str(cache)}
    # -P: the working directory is not put on sys.path, so a folder there cannot shadow an installed module.
    argv = [sys.executable, "-P", "-m", "streamlit", *streamlit_args(host, port)]
    if os.name != "posix":
        return subprocess.call(argv, env=env)
    os.execve(sys.executable, argv, env)
