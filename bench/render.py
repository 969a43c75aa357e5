"""What one body costs to render: the worst Markdown we know of, at the longest a form
accepts, through `forum.text.render` (Markdown, the bounds, bleach, linkify).

    .venv/bin/python bench/render.py

Each case is rendered a few times and the fastest run is reported (the machine may be
shared; the fastest run is the one least disturbed). The bounds these figures check
are described in forum/text.py.
"""

from __future__ import annotations

import time

from forum import text

N = text.MAX_SOURCE
ORDINARY = ("Some **bold** words, a [link](https://example.org) and *more*.\n\n"
            "- one thing\n- another\n\n> a quote\n\n")

CASES = {
    "plain words": "word " * (N // 5),
    "ordinary formatting": ORDINARY * (N // len(ORDINARY)),
    "table, 3 columns": "| a | b | c |\n|---|---|---|\n" + "| x | y | z |\n" * (N // 14),
    "table, 1,000 columns": "|" + "a|" * 1000 + "\n|" + "-|" * 1000 + "\n" + "x\n" * 23_000,
    "nested quotes": ">" * N,
    "nested lists": "".join("  " * i + "- x\n" for i in range(300)),
    "emphasis *_": "*_" * (N // 2),
    "emphasis **a": "**a " * (N // 4),
    "brackets [": "[" * N,
    "backticks": "```a" * (N // 4),
    "less-than <": "<" * N,
    "links": "[x](http://example.com/a) " * (N // 26),
    "bare addresses": "example.com " * (N // 12),
    "reference links": "[a]: /x\n" + "[a] " * (N // 4),
    # Just inside the bounds: the most work a body can still ask for.
    "[ just under the delimiter cap": "[" * (text.MAX_DELIMITERS - 100) + " word" * N,
    "**a just under the cap": "**a " * ((text.MAX_DELIMITERS - 100) // 2) + " word" * N,
    "table just under the cell cap": "| a | b |\n|---|---|\n"
                                     + "| **x** | [y](https://e.org) |\n" * 990,
    "links just under the markup cap": "[x](http://example.com/a) " * 1800 + " word" * N,
    "over the limit (1 MB preview)": "*_" * 500_000,
}


def main() -> None:
    width = max(map(len, CASES))
    for name, source in CASES.items():
        source = source[:N] if "over the limit" not in name else source
        best = min(_timed(source) for _ in range(3))
        print(f"{name:<{width}}  {len(source):>9,} chars  {best * 1000:7.0f} ms")


def _timed(source: str) -> float:
    start = time.perf_counter()
    text.render(source)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
