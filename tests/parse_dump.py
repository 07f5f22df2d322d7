"""Parse every post-mortem under the given folders and write what was read, for comparing two builds.

    python tests/parse_dump.py OUT.json FOLDER...

Run in a process of its own, so that whichever ``pm_analytics`` comes first on ``PYTHONPATH`` (a clone, or
an unpacked wheel with the compiled parser) is the one that parses. ``OUT.json`` holds each file's
``ParseResult`` as ``repr`` (records, sources and problems, in order) and the file each module a compiled
wheel compiles was loaded from.
"""

import json
import sys
from pathlib import Path

from pm_analytics.parse import SUFFIXES, parse_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "packaging_hooks"))
from compiled_modules import COMPILED_MODULES  # noqa: E402


def main(out: str, *folders: str) -> None:
    results = {}
    for folder in map(Path, folders):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUFFIXES:
                results[path.relative_to(folder.parent).as_posix()] = repr(parse_bytes(path.read_bytes(), path.name))
    modules = {name: sys.modules[f"pm_analytics.parse.{name}"].__file__ for name in COMPILED_MODULES}
    Path(out).write_text(json.dumps({"modules": modules, "results": results}), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
