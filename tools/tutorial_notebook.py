"""Build docs/tutorial.ipynb from docs/tutorial.md: the notebook is generated, the page is the source.

    python tools/tutorial_notebook.py            # rewrite docs/tutorial.ipynb
    python tools/tutorial_notebook.py --check    # exit 1 if docs/tutorial.ipynb is out of date

Each ```python fence becomes a code cell; the ```text fence right after it (what the block
prints, as the page shows it) becomes that cell's output; everything else becomes markdown
cells. The notebook is nbformat 4.5 JSON written with the standard library only
(deterministic: cell ids are numbered, keys sorted), so regenerating it from an unchanged
page gives the same bytes; tests/test_notebook.py checks that, and runs the cells.
"""

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "tutorial.md")
NOTEBOOK = os.path.join(ROOT, "docs", "tutorial.ipynb")
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*\n?", re.S | re.M)
NOTE = ("*This notebook is generated from `docs/tutorial.md` by `tools/tutorial_notebook.py`; "
        "edit the page, then regenerate. The outputs shown are those the page shows; "
        "run the cells in order (Kernel > Restart & Run All) to recompute them.*")


def _lines(text):
    """A cell source as nbformat stores it: a list of lines, each but the last ending in a newline."""
    parts = text.splitlines(keepends=True)
    if parts and parts[-1].endswith("\n"):
        parts[-1] = parts[-1][:-1]
    return parts


def _markdown(text, n):
    return {"cell_type": "markdown", "id": f"cell-{n:03d}", "metadata": {}, "source": _lines(text.strip("\n"))}


def _code(code, output, n):
    outputs = [] if output is None else [{"name": "stdout", "output_type": "stream",
                                          "text": output.splitlines(keepends=True)}]
    return {"cell_type": "code", "execution_count": None, "id": f"cell-{n:03d}", "metadata": {},
            "outputs": outputs, "source": _lines(code.rstrip("\n"))}


def build(page_text):
    """The notebook (a dict in nbformat 4.5) of a markdown page.

    Parameters
    ----------
    page_text : str
        The page, with ```python fences optionally followed (after blank lines only) by a
        ```text fence holding what the block prints.

    Returns
    -------
    dict
        ``{"cells": [...], "metadata": {...}, "nbformat": 4, "nbformat_minor": 5}``.
    """
    title, _, rest = page_text.partition("\n")
    page_text = f"{title}\n\n{NOTE}\n{rest}"              # the note right under the title
    cells, prose, pos = [], [], 0
    fences = list(_FENCE.finditer(page_text))
    skip = set()
    for i, m in enumerate(fences):
        if i in skip:
            continue
        prose.append(page_text[pos:m.start()])
        pos = m.end()
        if m.group(1) != "python":
            prose.append(m.group(0))
            continue
        output = None
        if i + 1 < len(fences):
            nxt = fences[i + 1]
            if nxt.group(1) == "text" and not page_text[m.end():nxt.start()].strip():
                output, pos = nxt.group(2), nxt.end()
                skip.add(i + 1)
        if "".join(prose).strip():
            cells.append(_markdown("".join(prose), len(cells)))
        prose = []
        cells.append(_code(m.group(2), output, len(cells)))
    prose.append(page_text[pos:])
    if "".join(prose).strip():
        cells.append(_markdown("".join(prose), len(cells)))
    return {"cells": cells,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def dumps(notebook):
    """The notebook's file text: indented JSON, keys sorted, a final newline (as Jupyter writes it)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None):
    """Write (or with ``--check``, compare) docs/tutorial.ipynb; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    with open(PAGE, encoding="utf-8") as f:
        text = dumps(build(f.read()))
    if "--check" in argv:
        try:
            with open(NOTEBOOK, encoding="utf-8") as f:
                same = f.read() == text
        except FileNotFoundError:
            same = False
        if not same:
            print(f"{NOTEBOOK} is out of date: run python tools/tutorial_notebook.py", file=sys.stderr)
        return 0 if same else 1
    with open(NOTEBOOK, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
