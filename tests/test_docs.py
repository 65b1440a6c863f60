"""Every code block and command the documentation shows runs as written.

- The ```python blocks of README.md, docs/tutorial.md, docs/conformance.md,
  docs/experiments.md, docs/proofs.md and docs/performance.md run
  in order, one namespace per file, in a scratch directory. A block that imports
  torch runs on its own and is skipped, with the reason, when PyTorch is missing.
- Every command ``python -m reference ...`` shown in README.md and docs/*.md (in
  sh/bash/console/untyped fences, indented code blocks, and inline code; in a
  set-up line such as ``python3 -m venv .venv && ... && python -m reference verify``
  the ``python -m reference`` part) runs through the CLI, the
  commands of one file in order in one scratch directory, so that a command may
  read what an earlier one wrote. It must not crash or end in a usage error
  (exit 0, or 1 for "a check failed"). Long commands get the small options of
  :data:`FAST` by default; run exactly as written they are marked slow.
  Commands with placeholders (``DIR``, ``FILE``, ``MODULE[:NAME]``) are not run,
  but their command name must exist.
- ``.ci/run`` picks README.md's test line (venv, ``pip install -e ".[test]"``,
  ``python -m pytest``) and runs exactly that line.
"""

import os
import re
import shlex
import shutil
import subprocess

import pytest

from reference.commands.cli import build_parser, COMMANDS, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
README = os.path.join(ROOT, "README.md")
#: Documents whose Python blocks are executed.
PYTHON_DOCS = [README] + [os.path.join(DOCS, f) for f in ("tutorial.md", "conformance.md", "experiments.md",
                                                          "proofs.md", "performance.md")]
#: Small options appended to a long command (only those the command accepts) in the fast tests.
FAST = {
    "figure2": ["--T", "30", "--T1", "30"],
    "example": ["--T", "60", "--T1", "60"],
    "train": ["--T", "30", "--T1", "30"],
    "ablation": ["--seeds", "1", "--n-tokens", "5", "--T", "30", "--T1", "30"],
    "generalize": ["--seeds", "1", "--n-tokens", "5", "--T", "30", "--T1", "30"],
    "sweep": ["--sizes", "3", "4", "--seeds", "1", "--T", "20", "--T1", "20", "--jobs", "1"],
}
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.S | re.M)
_INLINE = re.compile(r"(?<!`)`(python -m reference[^`\n]*)`(?!`)")
_SHELL = {"", "sh", "bash", "shell", "console"}
#: An indented (4-space) code block: a run of indented lines after a blank line, outside fences.
_INDENTED = re.compile(r"(?:^[ \t]*\n)((?:^(?: {4}|\t)[^\n]*\n?)+)", re.M)
CI_RUN = os.path.join(ROOT, ".ci", "run")


def _docs_with_commands():
    paths = [README] if os.path.exists(README) else []
    return paths + sorted(os.path.join(DOCS, f) for f in os.listdir(DOCS) if f.endswith(".md"))


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def python_blocks(path):
    """``[(line, code)]`` of the ```python fences of a markdown file."""
    text = _read(path)
    return [(text[:m.start()].count("\n") + 1, m.group(2)) for m in _FENCE.finditer(text)
            if m.group(1) == "python"]


def _reference_parts(line):
    """The ``python -m reference ...`` parts of a shell line (``a && b; c`` gives each command)."""
    line = re.sub(r"(^|\s)#.*$", "", line.strip())        # a shell comment
    line = line[2:] if line.startswith("$ ") else line
    return [p.strip() for p in re.split(r"&&|;|\|\|", line) if p.strip().startswith("python -m reference")]


def indented_blocks(path):
    """``[(line, code)]`` of the indented (4-space) code blocks of a markdown file, outside fences."""
    text = _read(path)
    in_fence = [(m.start(), m.end()) for m in _FENCE.finditer(text)]
    return [(text[:m.start(1)].count("\n") + 1, m.group(1)) for m in _INDENTED.finditer(text)
            if not any(a <= m.start(1) < b for a, b in in_fence)]


def shell_commands(path):
    """``[(line, command)]``: every ``python -m reference ...`` in shell fences, indented blocks and inline code."""
    text = _read(path)
    found = []
    for m in _FENCE.finditer(text):
        if m.group(1) not in _SHELL:
            continue
        first = text[:m.start()].count("\n") + 2
        for k, line in enumerate(m.group(2).splitlines()):
            found += [(first + k, part) for part in _reference_parts(line)]
    for first, code in indented_blocks(path):
        for k, line in enumerate(code.splitlines()):
            found += [(first + k, part) for part in _reference_parts(line)]
    in_fence = [(m.start(), m.end()) for m in _FENCE.finditer(text)]
    for m in _INLINE.finditer(text):
        if not any(a <= m.start() < b for a, b in in_fence):
            found.append((text[:m.start()].count("\n") + 1, m.group(1)))
    found.sort()
    out, seen = [], set()
    for line, cmd in found:
        if cmd not in seen:
            seen.add(cmd)
            out.append((line, cmd))
    return out


def _argv(cmd):
    return shlex.split(cmd, comments=True)[3:]


def _placeholder(argv):
    """A usage synopsis, not a command: metavars (DIR, N), optional parts ([--seed S]), <...>, a|b, ..."""
    return any(re.search(r"[\[\]<>|]|\.\.\.", a) or re.fullmatch(r"[A-Z][A-Z_0-9]*", a) for a in argv)


def _options(name):
    sub = build_parser()._subparsers._group_actions[0].choices[name]
    return set(sub._option_string_actions)


def _fast(argv):
    if not argv or argv[0] not in FAST:
        return argv
    known, extra, opts = _options(argv[0]), [], FAST[argv[0]]
    i = 0
    while i < len(opts):
        j = i + 1
        while j < len(opts) and not opts[j].startswith("--"):
            j += 1
        if opts[i] in known:
            extra += opts[i:j]
        i = j
    return argv + extra


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A directory that looks like a clone (package and docs reachable by relative paths), as cwd."""
    os.symlink(os.path.join(ROOT, "reference"), tmp_path / "reference")
    shutil.copytree(DOCS, tmp_path / "docs")
    for f in ("README.md", "setup.cfg"):
        if os.path.exists(os.path.join(ROOT, f)):
            shutil.copy(os.path.join(ROOT, f), tmp_path / f)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- python blocks
def _id(path):
    return os.path.relpath(path, ROOT)


@pytest.mark.parametrize("path", [p for p in PYTHON_DOCS if os.path.basename(p) != "README.md"], ids=_id)
def test_doc_has_python_blocks(path):
    assert python_blocks(path), f"{_id(path)} shows no python block"


def shown_output(path):
    """``{line of a python block: the text of the ```text fence right after it}``."""
    text = _read(path)
    fences = list(_FENCE.finditer(text))
    out = {}
    for a, b in zip(fences, fences[1:]):
        if a.group(1) == "python" and b.group(1) == "text" and not text[a.end():b.start()].strip():
            out[text[:a.start()].count("\n") + 1] = b.group(2)
    return out


def _lines(s):
    return [ln.rstrip() for ln in s.strip("\n").splitlines()]


@pytest.mark.parametrize("path", PYTHON_DOCS, ids=_id)
def test_python_blocks_run(path, scratch, capsys):
    """Each block runs; where a ```text block follows it directly, that is exactly what it prints."""
    if not os.path.exists(path):
        pytest.fail(f"{_id(path)} does not exist")
    ns = {"__name__": "__doc__"}
    shown = shown_output(path)
    for line, code in python_blocks(path):
        if re.search(r"^\s*import torch|^\s*from torch", code, re.M):
            continue                                   # test_torch_blocks_run
        capsys.readouterr()
        try:
            exec(compile(code, f"{path}:{line}", "exec"), ns)
        except Exception as e:
            raise AssertionError(f"the python block at {_id(path)}:{line} fails: {e!r}") from e
        printed = capsys.readouterr().out
        if line in shown:
            assert _lines(printed) == _lines(shown[line]), \
                f"the block at {_id(path)}:{line} prints something else than the doc shows:\n{printed}"


def _torch_blocks():
    out = []
    for path in PYTHON_DOCS:
        if os.path.exists(path):
            out += [pytest.param(path, line, code, id=f"{_id(path)}:{line}") for line, code in python_blocks(path)
                    if re.search(r"^\s*import torch|^\s*from torch", code, re.M)]
    return out


@pytest.mark.parametrize("path, line, code", _torch_blocks())
def test_torch_blocks_run(path, line, code, scratch, capsys):
    """The PyTorch example runs, and prints the report the doc shows (up to the err/tol digits)."""
    pytest.importorskip("torch", reason=f"PyTorch is not installed: the example at {_id(path)}:{line} "
                                        "needs it (pip install torch); the library itself does not")
    capsys.readouterr()
    try:
        exec(compile(code, f"{path}:{line}", "exec"), {"__name__": "__doc__"})
    except Exception as e:
        raise AssertionError(f"the PyTorch block at {_id(path)}:{line} fails: {e!r}") from e
    printed = capsys.readouterr().out
    shown = next_text_fence(path, line)
    if shown is not None:
        assert _rounding_masked(printed) == _rounding_masked(shown), \
            f"the PyTorch block at {_id(path)}:{line} prints something else than the doc shows:\n{printed}"


def next_text_fence(path, line, max_prose_lines=3):
    """The ```text fence after the python block at ``line``, if only a short paragraph separates them."""
    text = _read(path)
    fences = list(_FENCE.finditer(text))
    for a, b in zip(fences, fences[1:]):
        if text[:a.start()].count("\n") + 1 == line and b.group(1) == "text":
            between = text[a.end():b.start()].strip()
            return b.group(2) if len(between.splitlines()) <= max_prose_lines else None
    return None


def _rounding_masked(s):
    """Report lines with the err/tol column (two-digit ratios such as 2.57e-05) masked: rounding-level
    digits differ between PyTorch builds and BLAS libraries; counts, verdicts and messages must not."""
    return [re.sub(r"(?<![\d.])\d\.\d\de[-+]\d\d(?!\d)", "#", ln) for ln in _lines(s)]


# ---------------------------------------------------------------- commands
def test_readme_shows_commands():
    assert os.path.exists(README), "README.md is missing"
    assert shell_commands(README), "README.md shows no `python -m reference` command"


def _setup_lines():
    """README.md's set-up lines: the indented lines that create a virtual environment."""
    return [ln.strip() for _, code in indented_blocks(README) for ln in code.splitlines()
            if ln.strip().startswith("python3 -m venv")]


def test_readme_setup_lines_run_the_main_job_and_the_tests():
    """Two set-up lines: one installs and runs a ``python -m reference`` command, one installs and runs pytest."""
    lines = _setup_lines()
    assert len(lines) == 2, f"README.md should show the two set-up lines, found {lines}"
    main_job = [ln for ln in lines if _reference_parts(ln)]
    tests = [ln for ln in lines if ln.endswith("&& python -m pytest")]
    assert len(main_job) == 1 and len(tests) == 1 and main_job != tests, lines
    assert '.[test]' in tests[0]
    for part in _reference_parts(main_job[0]):                   # run by test_doc_commands_run[README.md]
        assert part in {cmd for _, cmd in shell_commands(README)}, part


def test_ci_runs_readme_test_line(tmp_path):
    """``.ci/run`` selects README.md's test line and evaluates exactly that line (run here with eval -> echo)."""
    assert os.path.exists(CI_RUN), ".ci/run is missing"
    script = _read(CI_RUN)
    run_line = 'eval "${line#    }"'
    assert script.count(run_line) == 1 and script.rstrip().endswith(run_line), \
        ".ci/run must end by evaluating the README line it selected"
    os.makedirs(tmp_path / ".ci")
    extras = 'eval "$extras"'                                   # the optional extras CI installs first
    assert script.count(extras) <= 1
    script = script.replace(extras, 'printf "EXTRAS:%s\\n" "$extras"')
    browser = 'eval "$browser"'                                 # headless Chromium for the browser test
    assert script.count(browser) <= 1
    script = script.replace(browser, 'printf "BROWSER:%s\\n" "$browser"')
    (tmp_path / ".ci" / "run").write_text(script.replace(run_line, 'printf "RUN:%s\\n" "${line#    }"'))
    shutil.copy(README, tmp_path / "README.md")
    out = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    ran = [ln[4:] for ln in out.stdout.splitlines() if ln.startswith("RUN:")]
    extras = [ln[7:] for ln in out.stdout.splitlines() if ln.startswith("EXTRAS:")]
    assert all(e.endswith('pip install -e ".[dask,certified,plot]" && deactivate') for e in extras), extras
    browsers = [ln[8:] for ln in out.stdout.splitlines() if ln.startswith("BROWSER:")]
    assert all("apt-get install -y -qq chromium" in b for b in browsers), browsers
    tests = [ln for ln in _setup_lines() if ln.endswith("&& python -m pytest")]
    assert ran == tests, f".ci/run would run {ran}, README.md's test line is {tests}"


def _run_commands(path, exact, capsys):
    ran = 0
    for line, cmd in shell_commands(path):
        argv = _argv(cmd)
        where = f"{_id(path)}:{line}: {cmd}"
        if _placeholder(argv):
            continue                                   # see test_placeholder_commands_exist
        assert argv and argv[0] in COMMANDS or argv[:1] in (["--help"], ["--version"]), f"unknown command at {where}"
        run = argv if exact else _fast(argv)
        try:
            status = main(run)
        except SystemExit as e:                        # argparse: --help (0) or a usage error (2)
            status = e.code
        out = capsys.readouterr()
        assert status in (0, 1), f"exit status {status} at {where}\n{out.err[-2000:]}"
        ran += 1
    return ran


#: ``verify`` and ``proofs`` have no small options and are shown in several documents: their audits
#: (deterministic functions of the seed) are computed once per test session; the commands still print
#: and write.
_VERIFY_RUNS = {}


@pytest.fixture
def verify_once(monkeypatch, verify_result, proofs_result):
    from reference.experiments import proofs, verify
    shared = {verify.__name__: verify_result, proofs.__name__: proofs_result}      # tests/conftest.py
    for mod in (verify, proofs):
        real = mod.run

        def run(*args, _real=real, _name=mod.__name__, **kwargs):
            key = (_name, args, tuple(sorted(kwargs.items())))
            if key not in _VERIFY_RUNS:
                seed = kwargs.get("seed", args[0] if args else 0)
                _VERIFY_RUNS[key] = (shared[_name] if seed == 0 and len(args) <= 1 and set(kwargs) <= {"seed"}
                                     else _real(*args, **kwargs))
            return _VERIFY_RUNS[key]
        monkeypatch.setattr(mod, "run", run)


@pytest.mark.parametrize("path", _docs_with_commands(), ids=_id)
def test_doc_commands_run(path, scratch, capsys, verify_once):
    _run_commands(path, exact=False, capsys=capsys)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in _docs_with_commands()
                                  if any(_argv(c)[:1] and _argv(c)[0] in FAST for _, c in shell_commands(p))],
                         ids=_id)
def test_doc_commands_run_exactly_as_written(path, scratch, capsys):
    _run_commands(path, exact=True, capsys=capsys)


@pytest.mark.parametrize("path", _docs_with_commands(), ids=_id)
def test_placeholder_commands_exist(path):
    for line, cmd in shell_commands(path):
        argv = _argv(cmd)
        if argv and _placeholder(argv) and not _placeholder(argv[:1]):    # "<command>" is generic
            assert argv[0] in COMMANDS, f"unknown command at {_id(path)}:{line}: {cmd}"
            opts = _options(argv[0])
            for a in argv[1:]:
                a = a.strip("[]")
                if a.startswith("--"):
                    assert a.split("=")[0] in opts, f"{a} is not an option of {argv[0]} ({_id(path)}:{line})"


# ---------------------------------------------------------------- docs/api.md lists the public API
def _public_modules():
    """Every module and subpackage of the package (``__main__`` and the command modules aside)."""
    import importlib
    import pkgutil

    import reference
    return [importlib.import_module(m.name) for m in pkgutil.walk_packages(reference.__path__, "reference.")
            if not m.name.endswith("__main__") and not m.name.startswith("reference.commands.")]


def _listed(name, text):
    return re.search(r"`(?:[\w.]+\.)?" + re.escape(name) + r"(?:`|\()", text) is not None or \
        re.search(r"(?:`|, )" + re.escape(name) + r"(?:`|,)", text) is not None


def test_api_md_lists_every_public_name():
    import types

    import reference
    text = _read(os.path.join(DOCS, "api.md"))
    missing = []
    for mod in _public_modules():
        for name in getattr(mod, "__all__", ()):
            if not _listed(name, text):
                missing.append(f"{mod.__name__}.{name}")
    for name in dir(reference):
        obj = getattr(reference, name)
        if not name.startswith("_") and not isinstance(obj, types.ModuleType) and not _listed(name, text):
            missing.append(f"reference.{name}")
    assert not missing, "docs/api.md does not list: " + ", ".join(sorted(set(missing)))


@pytest.mark.parametrize("path", _docs_with_commands(), ids=_id)
def test_relative_links_resolve(path):
    """Every relative link and image of a page points to a file that exists."""
    text = _read(path)
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue                                   # http:, https:, mailto:
        full = os.path.normpath(os.path.join(os.path.dirname(path), target))
        assert os.path.exists(full), f"{_id(path)} links to {target}, which does not exist"
