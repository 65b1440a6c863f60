"""The command line as a new user meets it: help that explains, bad input that ends in one clear line.

``python -m reference --help`` runs in a fresh interpreter (as typed in a shell);
the rest call :func:`reference.cli.main` in process, which is what ``__main__`` runs.
"""

import os
import subprocess
import sys

import pytest

from reference.cli import COMMANDS, build_parser, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _help_of(name):
    import importlib
    return importlib.import_module(f"reference.commands.{COMMANDS[name]}").HELP


def test_top_level_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "reference", "--help"], capture_output=True, text=True,
                         env=_env(), cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "usage: python -m reference" in out.stdout
    assert "Huang, Liang and Yang" in out.stdout
    text = " ".join(out.stdout.split())                       # argparse wraps long help lines
    for name in COMMANDS:
        assert name in out.stdout
        assert " ".join(_help_of(name).split())[:40] in text


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_explains_itself(name, capsys):
    with pytest.raises(SystemExit) as e:
        main([name, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m reference {name}")
    assert " ".join(_help_of(name).split())[:40] in " ".join(out.split())
    assert "--help" in out


def test_every_command_module_follows_the_contract():
    parser = build_parser()
    assert parser.prog == "python -m reference"
    for name in COMMANDS:
        import importlib
        mod = importlib.import_module(f"reference.commands.{COMMANDS[name]}")
        assert isinstance(mod.HELP, str) and "\n" not in mod.HELP and mod.HELP
        assert callable(mod.add_arguments) and callable(mod.run)


def _one_clear_line(capsys, argv):
    status = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]
    return err[0]


def test_missing_corpus_file(capsys, tmp_path):
    msg = _one_clear_line(capsys, ["inspect", str(tmp_path / "nope.txt")])
    assert "nope.txt" in msg and "no such" in msg


def test_missing_golden_file(capsys, tmp_path):
    msg = _one_clear_line(capsys, ["golden", "--check", str(tmp_path / "cases.json")])
    assert "cases.json" in msg


def test_non_realizable_corpus(capsys, tmp_path):
    """Identical inputs followed by different tokens (PAPER.md section 4): not realizable."""
    bad = tmp_path / "bad.txt"
    bad.write_text("A B C\nA B D\n")
    msg = _one_clear_line(capsys, ["inspect", str(bad)])
    assert "'A B'" in msg and "not realizable" in msg and "bad.txt:1" in msg and "bad.txt:2" in msg


@pytest.mark.parametrize("argv, name", [
    (["example", "--eta0", "-0.1", "--T", "2", "--T1", "2"], "eta0"),
    (["example", "--eta", "-1", "--T", "2", "--T1", "2"], "eta"),
    (["sweep", "--eta0", "-0.5", "--sizes", "3", "--seeds", "1"], "eta0"),
])
def test_negative_step_size(capsys, argv, name):
    msg = _one_clear_line(capsys, argv)
    assert name in msg and "-" in msg


def test_bad_option_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--seeds", "many"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "invalid int value: 'many'" in err and "Traceback" not in err
