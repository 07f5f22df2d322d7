"""``pm-analytics``: load post-mortems into DuckDB, validate them, print headline numbers.

A thin shell over the core: library results become printed lines and exit
codes here and nowhere else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pm_analytics.load import LoadResult, load_into, load_paths


def _print_problems(result: LoadResult, out) -> None:
    for problem in sorted(result.problems, key=lambda p: (p.source_path, p.line or 0)):
        print(problem, file=out)


def cmd_load(args: argparse.Namespace) -> int:
    result = load_into(args.paths, args.db)
    _print_problems(result, sys.stdout)
    print(result.summary() + f" -> {args.db}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    result = load_paths(args.paths)
    _print_problems(result, sys.stdout)
    print(result.summary())
    return 1 if any(p.level == "error" for p in result.problems) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pm-analytics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    load = sub.add_parser("load", help="load post-mortem files and folders into a DuckDB file")
    load.add_argument("paths", nargs="+", help="post-mortem files or folders (read recursively)")
    load.add_argument("--db", required=True, help="DuckDB file to write (replaced atomically)")
    load.set_defaults(func=cmd_load)

    validate = sub.add_parser("validate", help="check post-mortems without writing; exit 1 if any has an error")
    validate.add_argument("paths", nargs="+", help="post-mortem files or folders (read recursively)")
    validate.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for path in getattr(args, "paths", []):
        if not os.path.exists(path):
            parser.exit(2, f"pm-analytics: error: {path}: no such file or folder\n")
    try:
        return args.func(args)
    except OSError as exc:
        print(f"pm-analytics: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
