"""Which HTML parser reads exported post-mortems: BeautifulSoup, selectolax or lxml, on speed and safety.

    .venv/bin/python benchmarks/html_parsers.py

Each parser parses the document and walks the whole tree once, as the reader
does (every element in order, the text of every text node, ``<script>``,
``<style>`` and ``<template>`` passed over), on:

- the corpus: every Markdown/text fixture of tests/fixtures as Google Docs'
  "Download → Web page" would write it (scripts/make_export_fixtures.py), and
  all of them in one 1.9 MB document;
- pathological documents of about 1.9 MB: 200,000 nested ``<div>``, a run of
  ``<``, unclosed ``<p>``, one attribute of 1.9 MB, entities, an unclosed
  comment, and a ``<script>`` that never ends.

For each: the median time, and what the walk saw (the text it kept of a
marker placed after the pathological part, whether a script's text leaked).
Needs ``beautifulsoup4``, ``selectolax`` and ``lxml`` installed (only lxml
is a dependency of pm-analytics). Not a test: nothing here fails.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import make_export_fixtures as exports  # noqa: E402

SKIP = {"script", "style", "template", "noscript", "iframe", "object", "svg", "head"}
MARKER = "AFTER-THE-PATHOLOGY"
SIZE = 1_900_000


def walk_bs4(data: str, parser: str = "html.parser"):
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    soup = BeautifulSoup(data, parser)
    texts, tags = [], 0
    stack = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name in SKIP:
                continue
            tags += 1
            stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, Comment):
            texts.append(str(node))
    return texts, tags


def walk_lxml(data: str):
    import lxml.html

    root = lxml.html.document_fromstring(data)
    texts, tags = [], 0
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node.tag, str):
            if node.tag in SKIP:
                if node.tail:
                    texts.append(node.tail)
                continue
            tags += 1
            if node.text:
                texts.append(node.text)
            if node.tail and node is not root:
                texts.append(node.tail)
            stack.extend(reversed(list(node)))
        elif node.tail:
            texts.append(node.tail)
    return texts, tags


def walk_selectolax(data: str):
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(data)
    texts, tags = [], 0
    stack = [tree.root]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        tag = node.tag
        if tag == "-text":
            texts.append(node.text_content or "")
            continue
        if tag in SKIP or tag == "_comment":
            continue
        tags += 1
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend(reversed(children))
    return texts, tags


PARSERS = {
    "bs4 + html.parser": walk_bs4,
    "bs4 + lxml": lambda data: walk_bs4(data, "lxml"),
    "lxml.html": walk_lxml,
    "selectolax (lexbor)": walk_selectolax,
}


def corpus() -> list[str]:
    paths = sorted(p for folder in (ROOT / "tests" / "fixtures").iterdir() if folder.is_dir()
                   for p in folder.iterdir() if p.suffix in (".md", ".txt"))
    return [exports.to_html(exports.export_model(p.read_text(encoding="utf-8", errors="replace")), p.stem)
            for p in paths]


def pathological() -> dict[str, str]:
    tail = f"<p>{MARKER}</p></body></html>"
    head = "<html><body><p>before</p>"
    return {
        "200k nested <div>": head + "<div>" * 200_000 + tail,
        "run of '<'": head + "<" * SIZE + tail,
        "unclosed <p>": head + "<p>x" * (SIZE // 4) + tail,
        "1.9 MB attribute": head + '<p title="' + "a" * SIZE + '">t</p>' + tail,
        "entities": head + "<p>" + "&amp;&lt;&#x41;&nbsp;" * (SIZE // 20) + "</p>" + tail,
        "unclosed comment": head + "<!--" + "x" * SIZE + tail,
        "unclosed <script>": head + "<script>" + "x" * SIZE + tail,
        "<script> text": head + "<script>document.write('LEAKED')</script>" + tail,
    }


def timed(function, data: str, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = function(data)
        except Exception as exc:  # a parser's failure is a result here
            result = exc
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    docs = corpus()
    big = "<html><body>" + "".join(d.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
                                   for d in docs)
    big = (big * (SIZE // len(big) + 1))[:SIZE] + "</body></html>"
    sizes = sorted(len(d.encode()) for d in docs)
    print(f"corpus: {len(docs)} documents, median {statistics.median(sizes) / 1024:.1f} KB, "
          f"largest {sizes[-1] / 1024:.1f} KB; one of {len(big.encode()) / 1048576:.1f} MB\n")
    print("| parser | corpus, median per document | corpus total | 1.9 MB document |")
    print("|---|---:|---:|---:|")
    for name, function in PARSERS.items():
        per_doc = [timed(function, d, 5)[0] for d in docs]
        big_time, _ = timed(function, big, 3)
        print(f"| {name} | {statistics.median(per_doc) * 1000:.2f} ms | {sum(per_doc) * 1000:.0f} ms | "
              f"{big_time * 1000:.0f} ms |")
    print("\nPathological documents: time, and whether the text after them was still seen")
    cases = pathological()
    print("| parser | " + " | ".join(cases) + " |")
    print("|---|" + "---:|" * len(cases))
    for name, function in PARSERS.items():
        cells = []
        for label, data in cases.items():
            seconds, result = timed(function, data, 1)
            if isinstance(result, BaseException):
                seen = f"error: {type(result).__name__}"
            else:
                text = "".join(result[0])
                seen = "leaked" if "LEAKED" in text else "seen" if MARKER in text else "lost"
            cells.append(f"{seconds * 1000:.0f} ms, {seen}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
