"""The public API is typed, and a type checker keeps the annotations true.

The package ships ``py.typed`` (PEP 561), so a user's type checker reads its annotations
(``tests/test_install.py`` checks the marker is in the wheel and is honoured there). Here:

- ``python -m mypy -p reference`` reports no error (configuration: the ``[mypy]`` sections of
  setup.cfg; the body of a function without annotations is not checked);
- every function and method of the public API (:data:`SCOPE`) annotates each parameter and its
  return, and no field of its dataclasses is a bare ``tuple`` or ``dict``, so the annotations
  cannot silently rot;
- README's example, as a user's script, type-checks, and mypy infers the types a user expects
  for its values (``assert_type``: a wrong or missing return annotation on ``two_stage_ngd`` or
  ``transformer`` fails here); calls with wrong types are rejected, error by error (so the check
  is not vacuous: an unresolved import would make everything ``Any`` and pass anything).

mypy comes with the test extra; it keeps its cache in ``.mypy_cache`` (ignored by git).
"""

import dataclasses
import importlib
import inspect
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")

#: The public API whose annotations are checked: a module and the names it exports (None: its ``__all__``).
SCOPE = {
    "reference": None,
    "reference.data": None,
    "reference.structure": None,
    "reference.model.transformer": None,
    "reference.model.loss": None,
    "reference.model.loss_scaled": None,
    "reference.model.gradcheck": None,
    "reference.maxmargin.solvers": None,
    "reference.training.algorithm": None,
    "reference.training.trajectory": None,
    "reference.theory": None,
    "reference.audit.table": None,
    "reference.conformance": ["check", "golden_cases", "load_cases", "write_cases", "library_impl"],
    "reference.conformance.pytest_plugin": ["assert_conforms"],
}
#: Dunder methods that belong to the API (the others are Python's protocol, annotated or not).
API_DUNDERS = ("__init__", "__call__")
#: Field annotations that say nothing about the items (a tuple of what?).
BARE = {"tuple", "dict", "list", "set", "frozenset", "object", "np.ndarray", "numpy.ndarray", "Any"}


def _mypy(args):
    """``python -m mypy ARGS`` from the project's folder (so setup.cfg configures it): (exit code, output)."""
    pytest.importorskip("mypy", reason="the type check needs mypy (in the test extra: pip install -e '.[test]')")
    out = subprocess.run([sys.executable, "-m", "mypy", *args], capture_output=True, text=True, cwd=ROOT,
                         timeout=600)
    return out.returncode, out.stdout + out.stderr


def _public_classes_and_functions():
    """``{qualified name: object}`` of every function and class :data:`SCOPE` names (sub-modules skipped)."""
    out = {}
    for modname, names in SCOPE.items():
        mod = importlib.import_module(modname)
        for name in (names if names is not None else mod.__all__):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                out[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return out


def _callables():
    """``{qualified name: function}``: the functions, and the methods and properties of the classes."""
    out = {}
    for qual, obj in _public_classes_and_functions().items():
        if inspect.isfunction(obj):
            out[qual] = obj
            continue
        for attr, v in vars(obj).items():
            if attr.startswith("_") and attr not in API_DUNDERS:
                continue
            v = v.__func__ if isinstance(v, (staticmethod, classmethod)) else v
            v = v.fget if isinstance(v, property) else v
            if inspect.isfunction(v):
                out[f"{qual}.{attr}"] = v
    return out


def _missing(f):
    """The parameters of ``f`` without an annotation (``self``/``cls`` excepted), and ``"return"`` if it has none."""
    sig = inspect.signature(f)
    params = list(sig.parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    out = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    return out + (["return"] if sig.return_annotation is inspect.Signature.empty else [])


def test_the_package_type_checks():
    """``python -m mypy -p reference`` with setup.cfg's configuration: no error."""
    code, out = _mypy(["-p", "reference"])
    assert code == 0 and "Success: no issues found" in out, out[-5000:]


def test_every_function_of_the_public_api_is_annotated():
    found = _callables()
    assert len(found) > 120, f"the enumeration of the public API found only {len(found)} callables"
    # a sample that must be among them: functions, a classmethod, a property, an __init__
    for name in ("reference.training.algorithm.two_stage_ngd", "reference.data.dataset.Dataset.from_corpus",
                 "reference.data.vocabulary.Vocabulary.E", "reference.training.trajectory.Trajectory.__init__",
                 "reference.model.transformer.transformer", "reference.conformance.pytest_plugin.assert_conforms"):
        assert name in found, name
    missing = {name: m for name, f in found.items() if (m := _missing(f))}
    assert not missing, "not annotated (parameter or return):\n" + "\n".join(
        f"  {name}: {', '.join(m)}" for name, m in sorted(missing.items()))


def test_no_field_of_a_public_dataclass_is_bare():
    """A field says what it holds: ``tuple[int, ...]``, not ``tuple``; ``int | None``, not ``int = None``."""
    bare, n = [], 0
    for qual, cls in _public_classes_and_functions().items():
        if not inspect.isclass(cls):
            continue
        annotations = {f.name: f.type for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else \
            dict(getattr(cls, "__annotations__", {}))
        n += len(annotations)
        for field, ann in annotations.items():
            text = ann if isinstance(ann, str) else getattr(ann, "__name__", repr(ann))
            admits_none = re.search(r"\| None$|^None \||Optional\[|Any$", text) is not None
            if text in BARE or (field in _none_defaults(cls) and not admits_none):
                bare.append(f"{qual}.{field}: {text}")
    assert n > 80, f"only {n} annotated fields found"
    assert not bare, "bare or wrong field annotations:\n  " + "\n  ".join(bare)


def _none_defaults(cls):
    """Fields of a dataclass whose default is None (their annotation must admit None)."""
    if not dataclasses.is_dataclass(cls):
        return set()
    return {f.name for f in dataclasses.fields(cls) if f.default is None}


def _readme_example():
    """The first ```python block of README.md: the ten lines a newcomer runs first."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert m, "README.md has no python block"
    return m.group(1)


#: Checks appended to README's example: mypy must infer exactly these types (``assert_type``
#: compares types, not their spelling; ``Any`` fails it, so an unresolved import cannot pass).
TYPES = """
import numpy as np
from numpy.typing import NDArray
from typing_extensions import assert_type
from reference import Dataset, Trajectory

assert_type(ds, Dataset)
assert_type(traj, Trajectory)
assert_type(traj.stage2["loss"], NDArray[np.float64])
assert_type(traj.W_kq_star, NDArray[np.float64] | None)
assert_type(V.index("S"), int)
assert_type(V.embed([0, 1]), NDArray[np.float64])
assert_type(T, NDArray[np.float64] | NDArray[np.complex128])
"""

#: Calls with wrong types, and the error mypy must report on each line (line: error code).
WRONG = """\
from reference import example1, two_stage_ngd, Vocabulary
from reference.model.transformer import transformer

ds = example1()
traj = two_stage_ngd(ds, eta0="0.1", eta=0.025, T=900, T1=900)
V: Vocabulary = ds
i: str = ds.vocab.index("S")
T = transformer(traj.W_ov, traj.W_kq, ds.vocab.embed([0, 1]))
loss: float = T
"""
WRONG_ERRORS = {5: "arg-type", 6: "assignment", 7: "assignment", 9: "assignment"}


def check_user_script(run_mypy):
    """README's example plus :data:`TYPES` type-checks; :data:`WRONG` fails with :data:`WRONG_ERRORS`.

    ``run_mypy(file name, text) -> (exit code, output)`` checks one script.
    """
    code, out = run_mypy("readme_example.py", _readme_example() + TYPES)
    assert code == 0 and "Success: no issues found" in out, out
    code, out = run_mypy("wrong_types.py", WRONG)
    reported = {int(n): c for n, c in re.findall(r":(\d+): error: .*\[([\w-]+)\]$", out, re.M)}
    assert code == 1 and reported == WRONG_ERRORS, out


def test_readme_example_type_checks_as_a_user_script(tmp_path):
    """README's example against this package's annotations (mypy with the project's configuration)."""
    def run(name, text):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return _mypy(["--config-file", os.path.join(ROOT, "setup.cfg"), str(path)])
    check_user_script(run)
