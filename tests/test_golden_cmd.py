"""``python -m reference golden`` and the pytest plugin, as an implementer meets them."""

import json
import os
import subprocess
import sys

import pytest

from reference import conformance as C
from reference.commands import golden_cmd
from reference.commands.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPLS = os.path.join(ROOT, "tests", "conformance_impls.py")


def _one_error_line(capsys, argv, status=2):
    assert main(argv) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0], err
    return err[0]


def test_writes_and_checks(tmp_path, capsys):
    out = tmp_path / "cases.json"
    assert main(["golden", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert C.load_cases(out)["version"] == C.VERSION
    status = main(["golden", "--check", str(out), "--json", "--functions", "attention,loss0,two_stage_ngd"])
    rep = json.loads(capsys.readouterr().out)
    assert rep["ok"] is True and status == 0                     # the literal face agrees with the engine
    assert {e["function"] for e in rep["entries"]} == {"attention", "loss0", "two_stage_ngd"}
    assert len(rep["deselected"]) == len(C.FUNCTIONS) - 3 and not rep["skipped"]
    assert rep["golden"]["seed"] == 0 and rep["golden"]["checksum"].startswith("sha256:")
    assert rep["golden"]["source"] == str(out)


def test_out_is_refused_before_anything_is_computed(tmp_path, capsys, monkeypatch):
    def never(**kw):
        raise AssertionError("computed the cases before checking --out")
    monkeypatch.setattr("reference.conformance.golden.golden_cases", never)
    existing = tmp_path / "cases.json"
    existing.write_text("keep")
    msg = _one_error_line(capsys, ["golden", "--out", str(existing)])
    assert "--out" in msg and "already exists" in msg and existing.read_text() == "keep"
    msg = _one_error_line(capsys, ["golden", "--out", str(tmp_path)])         # a folder gets FOLDER/cases.json
    assert "cases.json already exists" in msg
    msg = _one_error_line(capsys, ["golden", "--out", str(tmp_path / "no" / "c.json")])
    assert "--out" in msg and "does not exist" in msg
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "absent-target")
    assert "already exists" in _one_error_line(capsys, ["golden", "--out", str(link)])
    assert not (tmp_path / "absent-target").exists()


@pytest.mark.parametrize("value", ["-3", "x", "1.5"])
def test_bad_seed_names_the_option(capsys, value):
    with pytest.raises(SystemExit) as e:
        main(["golden", "--seed", value, "--out", "c.json"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--seed" in err[0] and f"'{value}'" in err[0] and ">= 0" in err[0]


def _impl_file(tmp_path, body, name="my_impl.py"):
    path = tmp_path / name
    path.write_text(body)
    return path


def test_check_a_file_with_options(tmp_path, capsys):
    """--check without FILE (cases in memory), --impl path:object, --functions, --cases, --failures, --json."""
    impl = _impl_file(tmp_path, f"import sys\nsys.path.insert(0, {os.path.dirname(IMPLS)!r})\n"
                                "from conformance_impls import textbook\nimpl = textbook('L0_mean')\n"
                                "print('hello from the implementation')\n")
    argv = ["golden", "--check", "--impl", f"{impl}:impl", "--functions", "loss0,loss", "--cases", "ordinary"]
    assert main(argv + ["--failures", "1"]) == 1
    out = capsys.readouterr().out
    assert out.count("  FAIL ") == 1 and "mean over the vocabulary" in out and "more failing entries" in out
    assert main(argv + ["--json"]) == 1
    cap = capsys.readouterr()
    rep = json.loads(cap.out)                                   # the implementation's print went to stderr
    assert "hello from the implementation" in cap.err
    assert {r["function"] for r in rep["functions"]} == {"loss0", "loss"}
    assert {r["verdict"] for r in rep["functions"] if r["function"] == "loss"} == {"ok"}
    assert rep["golden"]["selection"] == "ordinary" and rep["golden"]["seed"] == 0
    assert all(c["regime"] in ("ordinary", "saturated") for c in rep["cases"])


def test_check_reports_what_the_implementation_raised(tmp_path, capsys):
    impl = _impl_file(tmp_path, "import sys\ndef loss(*a):\n    raise ValueError('shape mismatch')\n"
                                "def loss0(*a):\n    sys.exit(0)\n")
    assert main(["golden", "--check", "--impl", str(impl), "--cases", "example1/*", "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    errors = [e for e in rep["entries"] if e["status"] == "error"]
    assert {e["function"] for e in errors} == {"loss", "loss0"}
    assert any("SystemExit" in e["message"] for e in errors)
    assert all("Traceback" in e["traceback"] for e in errors)


def test_an_impl_that_exits_while_imported_is_not_a_pass(tmp_path, capsys):
    impl = _impl_file(tmp_path, "import sys\nsys.exit(0)\n", name="quits.py")
    msg = _one_error_line(capsys, ["golden", "--check", "--impl", str(impl)])
    assert "SystemExit" in msg and "quits.py" in msg


def test_check_option_errors(tmp_path, capsys):
    assert "--functions" in _one_error_line(capsys, ["golden", "--check", "--functions", "atention"])
    assert "--cases" in _one_error_line(capsys, ["golden", "--check", "--cases", "nothing/*"])
    assert "needs --check" in _one_error_line(capsys, ["golden", "--impl", "x", "--out", "c.json"])
    assert "no such file" in _one_error_line(capsys, ["golden", "--check", "--impl", str(tmp_path / "no.py")])


def test_exit_status_contract():
    """Every option has help; the epilog states the exit statuses."""
    assert "Exit status: 0" in golden_cmd.EPILOG and "1 when an entry fails" in golden_cmd.EPILOG


def _pytest(tmp_path, *args):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.path.dirname(IMPLS))
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "reference.conformance.pytest_plugin",
                           "-p", "no:cacheprovider", "-q", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def test_pytest_plugin_runs_the_kit_against_a_file_in_one_command(tmp_path):
    impl = _impl_file(tmp_path, "from conformance_impls import textbook\n"
                                "impl = {'attention': textbook()['attention'], 'loss0': textbook('L0_mean')['loss0']}\n")
    out = _pytest(tmp_path, "--conformance-impl", f"{impl.name}:impl", "--conformance-cases", "example1/*")
    n = sum(c["dataset"] == "example1" for c in C.default_cases()["cases"])
    # loss0 = L_0 / |V| fails wherever L_0 does not underflow (all but aligned/1000): one test per function and case
    assert out.returncode == 1 and f"{n - 1} failed, {n + 1} passed" in out.stdout, out.stdout + out.stderr
    assert "loss0-example1/random/scale=1]" in out.stdout and "mean over the vocabulary" in out.stdout
    assert "attention-example1/random/scale=1]" not in out.stdout          # passing tests are not listed


def test_pytest_helpers_in_a_test_suite(tmp_path):
    (tmp_path / "test_mine.py").write_text(
        "from conformance_impls import textbook\n"
        "from reference.conformance.pytest_plugin import assert_conforms, conformance_tests\n"
        "test_kit = conformance_tests({'unit_grad_loss0': textbook()['unit_grad_loss0']}, saturated='xfail')\n"
        "def test_all():\n"
        "    assert_conforms({'attention': textbook()['attention']})\n")
    out = _pytest(tmp_path, "test_mine.py")
    n_sat = sum(c["regime"] == "saturated" for c in C.default_cases()["cases"])
    n_ord = len(C.default_cases()["cases"]) - n_sat
    assert out.returncode == 0 and "xfailed" in out.stdout and "failed" not in out.stdout.replace("xfailed", "")
    n_passed = int(out.stdout.split(" passed")[0].split()[-1])
    assert n_passed > n_ord                      # every ordinary case, assert_conforms, and the saturated that pass


def test_assert_conforms_raises_with_the_report():
    from conformance_impls import textbook
    from reference.conformance.pytest_plugin import assert_conforms
    assert assert_conforms(C.library_impl(), functions=["loss"]).ok
    with pytest.raises(AssertionError, match="pi ignored"):
        assert_conforms({"loss": textbook("pi_ignored")["loss"]})
