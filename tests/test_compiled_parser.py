"""The parser compiled by mypyc (``PM_ANALYTICS_COMPILE=1``, packaging_hooks/compile_option.py) reads every
post-mortem exactly as the interpreted parser does.

The wheel is built as a compiled release would be (``benchmarks/compiled_build.py``: ``python -m build``
with the variable set, the sdist, then the wheel from it, mypy fetched for that build only) and
unpacked; then each parser, in a process of its own (``tests/parse_dump.py``), reads every fixture, the
bundled sample, 300 files of the benchmark corpus, every case of ``reader_rules.yaml`` and every surface
form of the generator's sweep (``generated.sweep``), and the two are compared record by record, sources
and problems included. mypyc checks the annotations at run time, so an annotation that lies about a
value rejects a file in the compiled build only: this test is where that shows. Slow (a C build of one
to two minutes) and offline apart from PyPI.
"""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import compiled_build  # noqa: E402
import corpus  # noqa: E402
import generated  # noqa: E402
import yaml  # noqa: E402

TESTS = ROOT / "tests"
EXTENSION = sysconfig.get_config_var("EXT_SUFFIX")


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def _env(**extra: str) -> dict:
    """The test run's environment without its Python or project settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PM_ANALYTICS_"))}
    return {**env, "PYTHONHASHSEED": "0", **extra}


def test_the_compiled_parser_reads_every_file_as_the_interpreted_one(tmp_path):
    site = compiled_build.build(tmp_path / "site")
    wheel_tags = (next(site.glob("*.dist-info")) / "WHEEL").read_text(encoding="utf-8")
    assert "Root-Is-Purelib: false" in wheel_tags and "-none-any" not in wheel_tags, wheel_tags

    folders = [TESTS / "fixtures", ROOT / "data", tmp_path / "corpus", tmp_path / "rules", tmp_path / "sweep"]
    corpus.generate(300, tmp_path / "corpus", seed=5, workers=1)
    for number, case in enumerate(yaml.safe_load((TESTS / "reader_rules.yaml").read_text(encoding="utf-8"))):
        (tmp_path / "rules" / str(number)).mkdir(parents=True)
        (tmp_path / "rules" / str(number) / case["file"]).write_text(case["text"], encoding="utf-8")
    for number, (_, _, doc) in enumerate(generated.sweep()):
        name, data = generated.render(doc)
        (tmp_path / "sweep" / str(number)).mkdir(parents=True)
        (tmp_path / "sweep" / str(number) / name).write_bytes(data)
    dumps = {}
    for build, path in (("interpreted", ROOT), ("compiled", site)):
        out = tmp_path / f"{build}.json"
        _run([sys.executable, TESTS / "parse_dump.py", out, *folders], cwd=tmp_path, env=_env(PYTHONPATH=str(path)))
        dumps[build] = json.loads(out.read_text(encoding="utf-8"))

    compiled, interpreted = dumps["compiled"], dumps["interpreted"]
    assert all(Path(f).is_relative_to(site) and f.endswith(EXTENSION) for f in compiled["modules"].values()), \
        compiled["modules"]
    assert all(Path(f).is_relative_to(ROOT) and f.endswith(".py") for f in interpreted["modules"].values()), \
        interpreted["modules"]
    assert len(interpreted["results"]) >= 1000 and compiled["results"].keys() == interpreted["results"].keys()
    differing = [name for name, read in interpreted["results"].items() if compiled["results"][name] != read]
    assert not differing, f"{len(differing)} files read differently, e.g. {differing[0]}:\n" \
                          f"interpreted: {interpreted['results'][differing[0]][:3000]}\n" \
                          f"compiled:    {compiled['results'][differing[0]][:3000]}"
