"""docs/tutorial.ipynb is docs/tutorial.md as a notebook: regenerated, identical, and its cells run.

- Regenerating the notebook from the page (``tools/tutorial_notebook.py``) gives the committed
  file byte for byte: edit the page, run ``python tools/tutorial_notebook.py``, commit both.
- The notebook holds every python block of the page as a code cell, in order, and each shown
  output as that cell's output; its structure is nbformat 4.5 (checked by hand here, and by
  ``nbformat.validate`` where nbformat is installed).
- The code cells run in order in one namespace, in a scratch directory, and print exactly the
  outputs the notebook stores.
"""

import importlib.util
import json
import os
import re

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "tutorial.md")
NOTEBOOK = os.path.join(ROOT, "docs", "tutorial.ipynb")


def _tool():
    path = os.path.join(ROOT, "tools", "tutorial_notebook.py")
    spec = importlib.util.spec_from_file_location("tutorial_notebook", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _notebook():
    return json.loads(_read(NOTEBOOK))


def test_notebook_is_generated_from_the_page():
    tool = _tool()
    assert os.path.exists(NOTEBOOK), "docs/tutorial.ipynb is missing: run python tools/tutorial_notebook.py"
    assert _read(NOTEBOOK) == tool.dumps(tool.build(_read(PAGE))), \
        "docs/tutorial.ipynb is out of date: run python tools/tutorial_notebook.py"


def test_notebook_holds_every_block_and_output_of_the_page():
    from test_docs import python_blocks, shown_output
    nb = _notebook()
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    blocks, shown = python_blocks(PAGE), shown_output(PAGE)
    assert ["".join(c["source"]) for c in code] == [b.rstrip("\n") for _, b in blocks]
    for c, (line, _) in zip(code, blocks):
        stored = "".join(t for o in c["outputs"] for t in o["text"])
        assert stored == shown.get(line, ""), f"the cell of the block at line {line} stores another output"
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for heading in re.findall(r"^#+ .*$", _read(PAGE), re.M):
        assert heading in text, heading


def test_notebook_structure_is_nbformat_4_5():
    nb = _notebook()
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] == 5
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    ids = [c["id"] for c in nb["cells"]]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", i) for i in ids)
    for c in nb["cells"]:
        assert c["cell_type"] in ("markdown", "code") and isinstance(c["source"], list) and c["metadata"] == {}
        assert all(s.endswith("\n") for s in c["source"][:-1])
        if c["cell_type"] == "code":
            assert c["execution_count"] is None
            assert all(o["output_type"] == "stream" and o["name"] == "stdout" for o in c["outputs"])


def test_notebook_validates_with_nbformat():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed: the hand-written structure "
                                                      "check above still ran")
    nbformat.validate(nbformat.reads(_read(NOTEBOOK), as_version=4))


def test_notebook_cells_run_and_print_what_is_stored(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "__main__"}
    with np.printoptions():                     # the tutorial sets print options: restore them after
        _run_cells(ns, capsys)


def _run_cells(ns, capsys):
    for k, c in enumerate(c for c in _notebook()["cells"] if c["cell_type"] == "code"):
        capsys.readouterr()
        exec(compile("".join(c["source"]), f"tutorial.ipynb cell {k}", "exec"), ns)
        printed = capsys.readouterr().out
        stored = "".join(t for o in c["outputs"] for t in o["text"])
        if stored:
            assert [ln.rstrip() for ln in printed.strip("\n").splitlines()] == \
                [ln.rstrip() for ln in stored.strip("\n").splitlines()], f"code cell {k} prints:\n{printed}"
