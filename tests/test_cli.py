"""The command line as a new user meets it: help that explains, bad input that ends in one clear line.

``python -m reference --help`` runs in a fresh interpreter (as typed in a shell);
the rest call :func:`reference.commands.cli.main` in process, which is what ``__main__`` runs.
"""

import json
import os
import subprocess
import sys

import pytest

from reference.commands.cli import build_parser, COMMANDS, main

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


def _usage_error(capsys, argv):
    """argparse's errors too end in one line ``error: ...`` with exit status 2."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: python -m reference"), err
    return err[0]


def test_no_command_is_a_usage_error(capsys):
    assert "required: COMMAND" in _usage_error(capsys, [])
    assert "invalid choice: 'verfiy'" in _usage_error(capsys, ["verfiy"])


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_explains_itself(name, capsys):
    with pytest.raises(SystemExit) as e:
        main([name, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m reference {name}")
    assert " ".join(_help_of(name).split())[:40] in " ".join(out.split())
    assert "--help" in out
    for a in build_parser()._subparsers._group_actions[0].choices[name]._actions:
        assert a.help, f"{name}: option {a.option_strings or a.dest} has no help text"


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
    """Identical inputs followed by different tokens (docs/paper.md section 4): not realizable."""
    bad = tmp_path / "bad.txt"
    bad.write_text("A B C\nA B D\n")
    msg = _one_clear_line(capsys, ["inspect", str(bad)])
    assert "'A B'" in msg and "not realizable" in msg and "bad.txt:1" in msg and "bad.txt:2" in msg


def _sub(name):
    return build_parser()._subparsers._group_actions[0].choices[name]


def _options_with(dests):
    """``[(command, option)]`` for every option of every command whose destination is in ``dests``."""
    return [(name, a.option_strings[0]) for name in COMMANDS for a in _sub(name)._actions
            if a.dest in dests and a.option_strings]


#: Options that read a file (the corpus of ``inspect`` is positional: test_missing_corpus_file).
READS_FILE = {"check", "corpus", "samples"}
#: Options that are step sizes of Algorithm 1.
STEP_SIZES = {"eta0", "eta"}
#: Small settings so that a command that wrongly accepted its bad argument would still end quickly.
QUICK = {"example": ["--T", "2", "--T1", "2"], "sweep": ["--sizes", "3", "--seeds", "1", "--T", "2", "--T1", "2",
                                                         "--jobs", "1"],
         "train": ["--out", "unused-out", "--corpus", "absent.txt", "--T", "2", "--T1", "2"]}
#: Options a command requires besides the one under test.
REQUIRED = {"train": ["--out", "unused-out"]}


def test_the_bad_argument_tables_cover_the_commands():
    """Every option named like a file or a step size is in the tests below (a new one must be added)."""
    for name in COMMANDS:
        for a in _sub(name)._actions:
            if a.metavar in ("FILE", "CORPUS_FILE") and a.dest != "out":
                assert a.dest in READS_FILE or not a.option_strings, f"{name} {a.option_strings}: add to READS_FILE"
            if a.dest.startswith("eta"):
                assert a.dest in STEP_SIZES, f"{name} {a.option_strings}: add to STEP_SIZES"
    assert _options_with(STEP_SIZES) and _options_with(READS_FILE)


@pytest.mark.parametrize("command, option", _options_with(READS_FILE))
def test_missing_file_for_every_option_that_reads_one(capsys, tmp_path, command, option):
    msg = _one_clear_line(capsys, [command, option, str(tmp_path / "absent.json")] + REQUIRED.get(command, []))
    assert "absent.json" in msg and "no such" in msg


@pytest.mark.parametrize("command, option", _options_with(STEP_SIZES))
@pytest.mark.parametrize("value", ["-0.1", "0", "nan"])
def test_bad_step_size_for_every_command_that_takes_one(capsys, command, option, value):
    msg = _one_clear_line(capsys, [command, option, value] + QUICK.get(command, []))
    assert option.lstrip("-") in msg and value in msg and "> 0" in msg


def test_golden_bad_impl(capsys, tmp_path, monkeypatch):
    """An --impl that cannot be imported, raises while importing, or provides nothing: one line, exit 2."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["golden", "--out", "c.json"]) == 0
    capsys.readouterr()
    (tmp_path / "syntax_impl.py").write_text("def attention(:\n")
    (tmp_path / "raising_impl.py").write_text("raise RuntimeError('needs a GPU')\n")
    (tmp_path / "empty_impl.py").write_text("x = 1\n")
    for impl, words in (("absent_impl", ["no module named 'absent_impl'"]),
                        ("syntax_impl", ["SyntaxError", "syntax_impl.py"]),
                        ("raising_impl", ["RuntimeError: needs a GPU"]),
                        ("empty_impl", ["provides none of the functions"])):
        msg = _one_clear_line(capsys, ["golden", "--check", "c.json", "--impl", impl])
        assert all(w in msg for w in words), msg


def test_golden_malformed_case_file(capsys, tmp_path):
    path = tmp_path / "c.json"
    assert main(["golden", "--out", str(path)]) == 0
    cases = json.loads(path.read_text())
    del cases["cases"][2]["expected"]["log_L"]
    path.write_text(json.dumps(cases))
    capsys.readouterr()
    msg = _one_clear_line(capsys, ["golden", "--check", str(path)])
    assert cases["cases"][2]["name"] in msg and "log_L" in msg


@pytest.mark.parametrize("argv, words", [
    (["golden", "--seed", "x", "--out", "c.json"], ["golden", "--seed", "'x'"]),
    (["inspect", "--no-such-option"], ["inspect", "--no-such-option"]),
])
def test_bad_option_value_is_one_line(capsys, argv, words):
    msg = _usage_error(capsys, argv)
    assert all(w in msg for w in words), msg


@pytest.mark.parametrize("argv, line", [
    (["sweep", "--seeds", "many"], "error: --seeds must be an integer >= 1, got 'many'"),
    (["sweep", "--eta0", "abc"], "error: --eta0 must be a finite number > 0, got 'abc'"),
    (["sweep", "--sizes", "3", "1"], "error: --sizes must be an integer >= 2, got '1'"),
    (["sweep", "--jobs", "0"], "error: --jobs must be an integer >= 1, got '0'"),
    (["generalize", "--seeds", "0"], "error: --seeds must be an integer >= 1, got '0'"),
    (["generalize", "--L-max", "1"], "error: --L-max must be an integer >= 2, got '1'"),
    (["verify", "--seed", "-3"], "error: --seed must be an integer >= 0, got '-3'"),
])
def test_errors_name_the_option_as_typed_not_a_python_parameter(capsys, argv, line):
    assert main(argv) == 2
    assert capsys.readouterr().err == line + "\n"


#: Commands that train, with the arguments that make them otherwise valid.
TRAINING = {"example": [], "figure2": ["--out", "o"], "ablation": ["--out", "o"], "generalize": ["--out", "o"],
            "sweep": [], "train": ["--out", "o", "--corpus", "absent.txt"]}


@pytest.mark.parametrize("command", sorted(TRAINING))
def test_one_rule_for_T_and_T1_in_every_command_and_its_help(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main([command, "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "stage-1 iterations, integer >= 1" in helptext and "stage-2 iterations, integer >= 1" in helptext
    for flag in ("--T", "--T1"):
        assert main([command, *TRAINING[command], flag, "0"]) == 2
        assert capsys.readouterr().err == f"error: {flag} must be an integer >= 1, got '0'\n"


@pytest.mark.parametrize("command", ["figure2", "ablation", "generalize", "verify", "example", "sweep"])
def test_out_is_checked_before_any_computation(command, capsys, monkeypatch):
    import importlib
    for name, fn in (("figure2", "run"), ("ablation", "run"), ("generalize", "run"), ("verify", "run"),
                     ("example", "run"), ("sweep", "run_sweep")):
        mod = importlib.import_module(f"reference.experiments.{name}")
        monkeypatch.setattr(mod, fn, lambda *a, **k: pytest.fail("computed before checking --out"))
    assert main([command, "--out", "/proc/x"]) == 2
    assert capsys.readouterr().err == ("error: --out /proc/x: cannot create this folder "
                                       "(no such file or directory)\n")


def test_too_large_a_vocabulary_is_one_line_with_an_estimate(capsys, tmp_path):
    assert main(["ablation", "--n-tokens", "100000", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "abs(V) = 100000" in err and "GiB of memory" in err and "hours" in err


def test_a_nan_result_never_exits_0(capsys, tmp_path):
    status = main(["generalize", "--n-tokens", "2", "--seeds", "1", "--T", "10", "--T1", "10", "--out",
                   str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1 and "not measured (nan): accuracy on non-comparable sentences (0 such sentences)" in out


def test_huge_iteration_counts_and_steps_are_one_line(capsys):
    assert main(["example", "--T", "99999999999999999999"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "would need about" in err
    assert main(["example", "--eta", "1e308"]) == 2
    assert capsys.readouterr().err.startswith("error: eta = 1e+308 over 900 steps")


def test_inspect_reads_standard_input_and_devices(capsys, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("S V O P\nV O P\n"))
    assert main(["inspect", "-"]) in (0, 1)
    assert capsys.readouterr().out.startswith("corpus: standard input\nD_0: N = 5 distinct sentences")
    assert main(["inspect", "/dev/null"]) == 2
    assert capsys.readouterr().err == ("error: /dev/null: the corpus has no sentence (every line is blank or "
                                       "a comment)\n")
    assert main(["inspect", "no-such-file"]) == 2
    assert capsys.readouterr().err == "error: no-such-file: no such corpus file\n"
