"""A checkout's own interpreter, for the benchmarks that compare two checkouts (``--compare``).

It starts in the checkout's folder with only that checkout on the path, so it imports that checkout's
code and nothing else; it says which ``pm_analytics`` it imported, then answers each request with one
line of JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


class CheckoutProcess:
    """``code`` run with ``args`` by a Python interpreter of ``checkout``; ``label`` names it in errors,
    ``doing`` in the one said when it stops (``"reloading"``)."""

    def __init__(self, label: str, checkout: Path, code: str, args: list[str], doing: str) -> None:
        self.label, self.doing = label, doing
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, *args], cwd=checkout, text=True, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(checkout)})
        ready = self.answer()["ready"]
        if not ready.startswith(str(checkout) + os.sep):
            raise SystemExit(f"{label}: measured {ready}, not the checkout {checkout}")

    def ask(self, request: object) -> dict:
        """Send ``request`` as a line; the answer line, read as JSON."""
        self.process.stdin.write(f"{request}\n")
        self.process.stdin.flush()
        return self.answer()

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.label}: the {self.doing} process stopped (exit {self.process.wait()}); "
                             "its error is above")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()
        self.process.stdout.close()


def checkouts(this: Path, compare: str | None) -> list[tuple[str, Path]]:
    """The checkouts to measure, labelled: ``this`` alone, or ``this`` ("after") and ``compare`` ("before")."""
    if not compare:
        return [("this checkout", this)]
    return [("after", this), ("before", Path(compare).resolve())]


def in_turns(sides: list, turn: int) -> list:
    """The sides in this turn's order, A B then B A and so on, so that neither always goes first."""
    return sides if turn % 2 else sides[::-1]
