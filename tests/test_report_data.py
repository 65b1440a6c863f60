"""``verify`` and ``proofs`` on the user's own data (``--corpus FILE``, ``--samples FILE``), with the example files.

The assumption report comes first; the audit runs Algorithm 1 from zero on the data; a row is n/a
because an assumption fails exactly for the statements the loader says need it (two independent
tables: :data:`reference.experiments.user_data.REQUIRES` and the statements' own conditions), and
the report says which assumption.
"""

import json
import os

import pytest

from reference.commands.cli import main
from reference.experiments.user_data import load_user_data

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "examples")
#: Assumption 3 fails on the sentence 'a b b' (its optimal token occurs once, a non-optimal one twice).
A3_FAILS = "# a three-cycle and one sentence with a repeated non-optimal token\na -> b\nb -> c\nc -> a\n\na b b -> b\n"


@pytest.fixture(autouse=True)
def _no_pictures(monkeypatch):
    """The pictures of report.html are tested on the paper's runs (tests/test_report.py)."""
    from reference.experiments import audit_sections
    monkeypatch.setattr(audit_sections, "statement_figure", lambda *a, **k: None)


def test_verify_on_a_sample_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    path = os.path.join(EXAMPLES, "samples.txt")
    assert main(["verify", "--samples", path, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"data: {path} (samples, taken as they are)")        # the assumption report first
    assert out.index("verdict: Assumptions 1-3 hold") < out.index("What to know:")
    flat = " ".join(out.split())
    assert f"== run: {path} ==" in out and "not prefix closed" in flat and "zero initialisation" in flat
    rep = json.loads((tmp_path / "verify.json").read_text())
    assert rep["ok"] is True and rep["data"]["kind"] == "samples" and rep["data"]["not_applicable"] == {}
    assert {r["run"] for r in rep["rows"]} == {path}
    assert rep["counts"][path]["violated"] == 0 and rep["counts"][path]["checked"] > 0
    for f in ("verify.csv", "report.md", "report.html"):
        assert (tmp_path / f).is_file()


def test_verify_says_which_rows_are_na_because_an_assumption_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    f = tmp_path / "a3.txt"
    f.write_text(A3_FAILS)
    data = load_user_data(samples=str(f))
    assert data.report.failed_assumptions == ("3",)
    assert main(["verify", "--samples", str(f), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "n/a (needs Assumption 3): Lemma 5" in flat                          # the loader's report, first
    assert "Assumption 3 fails on this run (sentence 'a b b'" in flat            # the audit's headline
    rep = json.loads((tmp_path / "out" / "verify.json").read_text())
    for r in rep["rows"]:
        if r["statement"] in data.not_applicable and (r["decides"] or r["erratum"]):
            # n/a, except a norm's upper bound ||W^(t)|| <= t eta (true for any normalised step)
            assert r["holds"] is None or "upper" in r["quantity"], r
    named = [s for s in data.not_applicable if s != "Theorem 3"]                 # Theorem 3 is informational
    headline = next(ln for ln in rep["what_to_know"] if "Assumption 3 fails" in ln)
    assert all(s in headline for s in named), headline


def test_proofs_on_a_corpus_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    path = os.path.join(EXAMPLES, "example1.txt")
    assert main(["proofs", "--corpus", path, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"data: {path} (corpus: D_0 is the prefix closure of its sentences)")
    assert "== proof chains (one line per statement) ==" in out and f"== run: {path} ==" in out
    rep = json.loads((tmp_path / "proofs.json").read_text())
    assert rep["ok"] is True and {r["run"] for r in rep["rows"]} == {path}
    assert rep["config"]["data"] == path and (tmp_path / "report.html").is_file()


@pytest.mark.parametrize("command", ["verify", "proofs"])
def test_data_that_algorithm1_cannot_run_on_is_one_line_after_the_report(command, tmp_path, capsys):
    f = tmp_path / "nocolloc.txt"
    f.write_text("a -> b\nc -> b\n")                 # two tokens followed by b: n is not one-to-one
    assert main([command, "--samples", str(f), "--out", str(tmp_path / "out")]) == 2
    cap = capsys.readouterr()
    assert cap.out.startswith(f"data: {f}") and cap.err.startswith("error: ") and cap.err.count("\n") == 1
    assert "Assumption 1(i)" in cap.err
