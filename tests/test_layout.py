"""The package's layout: one subpackage per part of the paper, imports flowing one way, no circles.

Read from the source with ``ast`` (every ``import`` statement, including those inside
functions, counts): a module may import from its own subpackage and from subpackages
*above* it in :data:`ORDER`, never from one below, and no chain of imports returns to
where it started.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "reference"

#: The allowed order, lowest first: a module of layer k imports only from layers <= k.
#: ``errors`` and ``numerics`` are the foundation; ``reference/__init__`` (the public API)
#: and ``__main__`` sit above everything.
ORDER = ("errors", "numerics", "data", "structure", "model", "maxmargin", "training", "certified", "theory",
         "audit", "conformance", "experiments", "commands")
TOP = ("reference", "reference.__main__")


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def _imports(name):
    """Every ``reference`` module ``name`` imports, resolved to module names (anywhere in the file)."""
    tree = ast.parse(MODULES[name].read_text())
    base = name.split(".") if _is_package(name) else name.split(".")[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
            aliases = [[] for _ in targets]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                head = base[:len(base) - node.level + 1]
                mod = ".".join(head + ([node.module] if node.module else []))
            else:
                mod = node.module
            targets, aliases = [mod], [[a.name for a in node.names]]
        else:
            continue
        for mod, names in zip(targets, aliases):
            if not mod or mod.split(".")[0] != "reference":
                continue
            subs = [f"{mod}.{n}" for n in names if f"{mod}.{n}" in MODULES]
            # ``from pkg import submodule`` depends on the submodule (and on pkg's __init__ only
            # when it also takes a name defined there)
            out.update(subs)
            if len(subs) < len(names) or not names:
                assert mod in MODULES, f"{name} imports {mod}, which does not exist"
                out.add(mod)
    out.discard(name)
    return out


GRAPH = {name: _imports(name) for name in MODULES}


def _layer(name):
    if name in TOP:
        return len(ORDER)
    return ORDER.index(name.split(".")[1])


def test_every_module_belongs_to_a_layer():
    stray = [n for n in MODULES if n not in TOP and n.split(".")[1] not in ORDER]
    assert not stray, f"modules outside the documented layers: {stray}"
    top_level = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top_level == ["__init__.py", "__main__.py", "errors.py", "numerics.py"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_runs_upward(name):
    up = sorted(m for m in GRAPH[name] if _layer(m) > _layer(name))
    assert not up, f"{name} (layer {ORDER[_layer(name)] if name not in TOP else 'top'}) imports from above: {up}"


def test_no_import_circle():
    """Depth-first search for a back edge; the circle found is printed in full."""
    state, stack = {}, []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for m in sorted(GRAPH[n]):
            if state.get(m) == "open":
                circle = stack[stack.index(m):] + [m]
                pytest.fail("import circle: " + " -> ".join(circle))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = "done"

    for n in sorted(GRAPH):
        if n not in state:
            visit(n)


def test_the_checker_sees_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The two checks above are not vacuous: a planted circle and a planted upward import are found."""
    fake = {"reference.data.a": {"reference.data.b"}, "reference.data.b": {"reference.data.a"},
            "reference.model.c": set()}
    monkeypatch.setattr(__import__(__name__), "GRAPH", fake)
    with pytest.raises(pytest.fail.Exception, match="import circle: reference.data.a -> reference.data.b"):
        test_no_import_circle()
    fake["reference.data.a"] = {"reference.model.c"}
    monkeypatch.setattr(__import__(__name__), "MODULES", dict(MODULES, **{k: None for k in fake}))
    with pytest.raises(AssertionError, match="imports from above"):
        test_no_import_runs_upward("reference.data.a")


def test_each_subpackage_names_its_public_functions():
    """Every subpackage's ``__init__`` has a docstring and an ``__all__`` whose names it really exports."""
    import importlib
    for layer in ORDER[2:]:
        mod = importlib.import_module(f"reference.{layer}")
        assert (mod.__doc__ or "").strip(), f"reference.{layer} has no docstring"
        if layer in ("experiments", "commands"):
            continue
        assert mod.__all__, f"reference.{layer} has no __all__"
        missing = [n for n in mod.__all__ if not hasattr(mod, n)]
        assert not missing, f"reference.{layer}.__all__ names what it does not export: {missing}"
