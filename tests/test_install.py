"""What a newcomer expects of an installed package: ``--version``, the ``reference`` console
command, ``CITATION.cff``, the documentation reachable after a plain (non-editable) ``pip install``,
and annotations a type checker reads (``py.typed``).

The wheel tests build the wheel offline from a copy of the sources (``--no-build-isolation``:
it needs ``wheel``, in the test extra), install it with ``pip install --target`` into a
scratch folder, and run ``python -m reference docs`` from there in an interpreter that does
not see the editable install, and mypy on a user's script that imports the installed package.
"""

import configparser
import fnmatch
import glob
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata

import pytest

from reference.commands.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


def _setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"), encoding="utf-8")
    return cfg


def _doc_files():
    """Every file of docs/ that a user reads: pages, notebook, images, example data (relative paths)."""
    out = []
    for base, _, files in os.walk(DOCS):
        out += [os.path.relpath(os.path.join(base, f), ROOT) for f in files if not f.startswith(".")]
    return sorted(out)


def test_version_is_setup_cfg_s(capsys):
    want = _setup_cfg().get("metadata", "version")
    import reference
    assert reference.__version__ == want == metadata.version("reference")
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"python -m reference {want}"


def test_console_script_is_declared_and_runs(capsys):
    """setup.cfg declares ``reference = reference.commands.cli:console_main``: the CLI named ``reference``."""
    eps = [ep for ep in metadata.entry_points(group="console_scripts") if ep.name == "reference"]
    assert [ep.value for ep in eps] == ["reference.commands.cli:console_main"]
    entry = eps[0].load()
    old = sys.argv
    sys.argv = ["reference", "--version"]
    try:
        with pytest.raises(SystemExit) as e:
            entry()
    finally:
        sys.argv = old
    assert e.value.code == 0 and capsys.readouterr().out.startswith("reference ")
    script = shutil.which("reference", path=os.path.dirname(sys.executable))
    if script is not None:                        # installed by pip next to this interpreter
        out = subprocess.run([script, "docs", "--path"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert os.path.isfile(os.path.join(out.stdout.strip(), "tutorial.md"))


def test_citation_cff_cites_the_paper_and_the_software():
    with open(os.path.join(ROOT, "CITATION.cff"), encoding="utf-8") as f:
        text = f.read()
    assert "cff-version: 1.2.0" in text and "type: software" in text
    assert f'version: "{_setup_cfg().get("metadata", "version")}"' in text
    assert "preferred-citation:" in text and "Non-asymptotic Convergence of Training Transformers" in text
    assert "2409.17335" in text and "Huang" in text and "Liang" in text and "Yang" in text


def test_docs_command_lists_prints_and_locates(capsys):
    assert main(["docs"]) == 0
    out = capsys.readouterr().out
    for name in ("tutorial", "paper", "theory", "tutorial.ipynb"):
        assert f"  {name} " in out
    assert main(["docs", "tutorial"]) == 0
    with open(os.path.join(DOCS, "tutorial.md"), encoding="utf-8") as f:
        assert capsys.readouterr().out == f.read()
    assert main(["docs", "paper.md", "--path"]) == 0
    assert os.path.samefile(capsys.readouterr().out.strip(), os.path.join(DOCS, "paper.md"))
    assert main(["docs", "no-such-doc"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no document 'no-such-doc'") and "tutorial" in err


def test_setup_cfg_installs_every_doc_file():
    """Each file of docs/ matches a pattern of [options.data_files] that installs it under share/doc/reference/docs."""
    rules = {}
    for key in _setup_cfg()["options.data_files"]:
        rules[key] = [p.strip() for p in _setup_cfg().get("options.data_files", key).replace("\n", ",").split(",")
                      if p.strip()]
    assert _doc_files()
    for f in _doc_files():
        target = os.path.join("share/doc/reference", os.path.dirname(f))
        assert any(fnmatch.fnmatch(f, p) for p in rules.get(target, [])), f"{f} is not installed ({target})"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built offline from a copy of the sources, and the folder it is installed in (``--target``).

    Returns ``(names, target)``: the files the wheel holds, and the scratch installation.
    """
    pytest.importorskip("wheel", reason="building the wheel offline needs the 'wheel' package (test extra)")
    tmp_path = tmp_path_factory.mktemp("wheel")
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in os.listdir(ROOT):
        if name in ("reference", "docs"):
            shutil.copytree(os.path.join(ROOT, name), src / name, ignore=ignore)
        elif name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "CITATION.cff"):
            shutil.copy(os.path.join(ROOT, name), src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    out = subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    (built,) = glob.glob(str(tmp_path / "dist" / "*.whl"))
    names = set(zipfile.ZipFile(built).namelist())
    target = tmp_path / "site"
    out = subprocess.run(pip + ["install", "--no-deps", "--target", str(target), built],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return names, target


def test_docs_ship_in_the_wheel_and_are_found_after_install(wheel, tmp_path):
    """Build the wheel offline, install it non-editable, and find every document from the installed package."""
    names, target = wheel
    for f in _doc_files():
        assert any(n.endswith(f"/share/doc/reference/{f}") for n in names), f"{f} is not in the wheel"
    import numpy
    numpy_site = os.path.dirname(os.path.dirname(numpy.__file__))
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
            "import reference; print(reference.__file__)\n"
            "from reference.commands.cli import main; main(['docs', 'tutorial', '--path'])")
    # -S: no site processing, so the editable install's path hook is not seen; numpy's folder is added by hand
    out = subprocess.run([sys.executable, "-S", "-c", code, str(target), numpy_site], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    module, path = out.stdout.split()
    assert module.startswith(str(target)) and path.startswith(str(target))
    with open(path, encoding="utf-8") as a, open(os.path.join(DOCS, "tutorial.md"), encoding="utf-8") as b:
        assert a.read() == b.read()


def test_the_wheel_is_typed_for_a_users_type_checker(wheel, tmp_path):
    """``py.typed`` ships (PEP 561), so mypy reads the installed package's annotations in a user's script.

    mypy runs as a user would: from a folder of their own, without the project's configuration, the
    installed package found on ``PYTHONPATH`` (a package there without ``py.typed`` is skipped as untyped,
    its names ``Any``, and :func:`test_typing.check_user_script` would fail).
    """
    names, target = wheel
    assert "reference/py.typed" in names
    pytest.importorskip("mypy", reason="the type check needs mypy (in the test extra: pip install -e '.[test]')")
    from test_typing import check_user_script
    user = tmp_path / "user"
    user.mkdir()
    (user / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")        # no configuration of ours (nor ~'s)
    env = dict(os.environ, PYTHONPATH=str(target))

    def run(name, text):
        (user / name).write_text(text, encoding="utf-8")
        out = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir",
                              str(tmp_path / "cache"), name], capture_output=True, text=True, cwd=user, env=env,
                             timeout=600)
        return out.returncode, out.stdout + out.stderr
    check_user_script(run)
