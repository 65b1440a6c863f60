"""The report of verify, proofs and sweep: categories and counts, thresholds, the text, Markdown and HTML.

The categories partition the rows and agree with the verdicts; a row is n/a exactly when one
of the conditions the report names fails (the threshold computed independently from the
statement as printed); a vacuous bound is one the quantity cannot reach at any iterate
checked; labels wrap and are never cut; the HTML page is self-contained (every image a PNG
data URI, every link an anchor of the page, nothing fetched, no script); without matplotlib
the report still lists every statement and says the pictures need the ``plot`` extra.
"""

import base64
import html.parser
import math
import os
import re
import sys

import numpy as np
import pytest

from reference.audit.report import CATEGORIES, category, Column, count, counts_line, Table
from reference.audit.report_text import table_lines, terminal_width, to_text
from reference.audit.setting import setting_of
from reference.audit.statements import ERRATA
from reference.audit.table import scalar_row
from reference.audit.thresholds import number, statement_needs, unmet
from reference.experiments.audit_document import proofs_document, verify_document
from reference.theory.constants import log_threshold, THM2_C_t
from reference.theory.stage1 import corollary1_condition
from reference.theory.theorem2 import theorem2_conditions

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _statement_rows(result, key="proofs"):
    return [r for r in result[key] if r.kind == "S"]


# ---------------------------------------------------------------- categories and counts

def test_categories_partition_the_rows_and_follow_the_verdicts(verify_result, proofs_result):
    for rows in (list(verify_result["proofs"]), list(proofs_result["table"])):
        c = count(rows)
        assert sum(c[k] for k in CATEGORIES) == c["rows"] == len(rows)
        assert c["checked"] == sum(r.holds is not None for r in rows)
        for r in rows:
            cat = category(r)
            assert (cat == "violated") == r.violated
            assert (cat == "n/a") == (r.holds is None and r.decides)
            if cat == "vacuous":
                assert r.holds and r.vacuous
            if cat in ("held", "unstated"):
                assert r.holds and not r.vacuous


def test_counts_line_names_violated_even_when_zero():
    rows = [scalar_row("r", "S", "q", "<=", "p", 1.0, 2.0, True, t=1),
            scalar_row("r", "S", "e", "<=", "p", 3.0, 2.0, True, t=1, erratum="k", decides=False),
            scalar_row("r", "S", "n", "<=", "p", 1.0, 2.0, False, t=1)]
    c = count(rows)
    assert (c["held"], c["erratum"], c["erratum_failing"], c["n/a"], c["violated"]) == (1, 1, 1, 1, 0)
    assert counts_line(c).endswith("violated 0") and "erratum 1 (1 failing here as recorded)" in counts_line(c)


def test_a_bound_beyond_the_quantity_s_range_is_vacuous_not_held(verify_result):
    """Theorem 1's direction-error bound on the paper's experiment is ~1e10 on a quantity in [0, 2]."""
    rows = {r.name: r for r in _statement_rows(verify_result) if r.run == "paper experiment"}
    r = rows["Theorem 1: direction error"]
    lo, hi = r.value_range
    checked = np.asarray(r.series["stated"]) & np.asarray(r.series["defined"])
    bound = np.asarray(r.series["bound"])[checked]
    assert (lo, hi) == (0.0, 2.0) and bound.size and np.all(bound >= hi)     # recomputed from the series
    assert category(r) == "vacuous" and r.holds is True
    for r in _statement_rows(verify_result):                                  # and conversely everywhere
        if category(r) == "vacuous":
            s = r.series
            ok = np.asarray(s["stated"]) & np.asarray(s["defined"])
            b = np.asarray(s["bound"])[ok]
            assert np.all(b >= r.value_range[1]) if r.sense == "<=" else np.all(b <= r.value_range[0]), r.name


# ---------------------------------------------------------------- thresholds

def _needs(result, r):
    run = result["runs"][r.run]
    s = setting_of(run["traj"], run["ds"])
    T1 = len(run["traj"].stage2["norm"]) - 1
    return statement_needs(r.statement, r.quantity, s, T1, 1.0 - np.asarray(run["traj"].stage2["cos"]))


@pytest.mark.parametrize("key", ["verify", "proofs"])
def test_a_statement_row_is_na_exactly_when_a_named_condition_fails(key, verify_result, proofs_result):
    result = verify_result if key == "verify" else proofs_result
    table = result["proofs"] if key == "verify" else result["table"]
    for r in table:
        if r.kind != "S" or not (r.decides or r.erratum) or r.series is None:
            continue                       # rows checked once (rates, Proposition 2, Theorem 3) have no t-conditions
        miss = unmet(_needs(result, r))
        if r.holds is None:
            assert miss or r.note, f"{r.run}: {r.name} is n/a and the report names no failing condition"
        else:
            assert not miss, f"{r.run}: {r.name} is checked but the report says {[n.text for n in miss]} fails"


def _larger_root(K, p):
    """The larger root of t = K log^p t, by bisection on log t (independent of the library's Lambert W)."""
    lo, hi = p * 1.0, 200.0                          # u = log t; f(u) = u - log K - p log u, increasing for u > p
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid - math.log(K) - p * math.log(mid) < 0:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


def test_theorem2_headline_on_the_paper_experiment_names_its_threshold(verify_result, verify_report):
    """t >= 1696 N L_max^4 ||W*_kq||^6 log^2 t / eta: about 2.8e17 on the paper's experiment (Section 7)."""
    run = verify_result["runs"]["paper experiment"]
    s = setting_of(run["traj"], run["ds"])
    K = 1696 * s.N * s.L_max ** 4 * s.star_norm_kq ** 6 / s.eta
    t0 = _larger_root(K, 2)
    assert t0 == pytest.approx(log_threshold(THM2_C_t * s.N * s.L_max ** 4 * s.star_norm_kq ** 6 / s.eta, 2),
                               rel=1e-9)
    ok_T, ok_t = theorem2_conditions(np.array([t0 * (1 - 1e-6), t0 * (1 + 1e-6)]), T=s.T, eta0=s.eta0, eta=s.eta,
                                     n_tokens=s.n_tokens, N=s.N, L_max=s.L_max, star_norm_ov=s.star_norm_ov,
                                     star_norm_kq=s.star_norm_kq)
    assert list(ok_t) == [False, True]               # the statement's own condition flips there
    text = " ".join(verify_report[1].split())
    assert f"Theorem 2's conditions never hold on this run: they need" in text
    assert f"t >= {number(t0)}" in text and number(t0) == "2.8e17"
    K1 = 384 * s.star_norm_ov ** 5 * math.log(2 * s.n_tokens) / s.eta0      # Corollary 1's condition on T
    c0 = _larger_root(K1, 1)
    assert list(corollary1_condition(np.array([c0 * (1 - 1e-6), c0 * (1 + 1e-6)]), eta0=s.eta0,
                                     star_norm_ov=s.star_norm_ov, n_tokens=s.n_tokens)) == [False, True]
    assert f"t >= {number(c0)}" in text


# ---------------------------------------------------------------- text

def test_labels_wrap_and_are_never_cut():
    label = "Proposition 1: direction error (c=12, appendix) with a label far longer than any column"
    t = Table([Column("label", "statement: quantity", "", wrap=True, min_width=12), Column("x", "x", "", ">")],
              [{"label": label, "x": "1.5"}, {"label": "short", "x": "2"}])
    for width in (30, 40, 200):
        lines = table_lines(t, width)
        assert all(len(ln) <= max(width, 30) for ln in lines)
        pieces = " ".join(ln[:-len("1.5")].strip() if ln.endswith("1.5") else ln.strip() for ln in lines[2:-1])
        assert pieces.split() == label.split()
    assert table_lines(t, 40, wide=True)[2].startswith(label)        # --wide: one line per row


def test_terminal_width_follows_COLUMNS(monkeypatch):
    monkeypatch.setenv("COLUMNS", "77")
    assert terminal_width() == 77
    monkeypatch.setenv("COLUMNS", "20")
    assert terminal_width() == 60                                    # the narrowest layout


@pytest.mark.parametrize("width", [80, 100, 140])
def test_verify_text_fits_the_terminal(verify_result, width):
    text = to_text(verify_document(verify_result, figures=False), width=width)
    too_long = [ln for ln in text.splitlines() if len(ln) > width]
    assert not too_long, too_long[:3]
    wide = to_text(verify_document(verify_result, figures=False), width=width, wide=True)
    assert max(len(ln) for ln in wide.splitlines()) > width          # --wide: every column, nothing wrapped


def test_verify_text_reads_without_other_documents(verify_report, verify_result):
    out, text, status = verify_report
    assert status == 0
    flat = " ".join(text.split())
    assert "What to know:" in text and "Legend (columns, then verdicts):" in text
    for cat in CATEGORIES:
        assert re.search(rf"^  {re.escape(cat)} ", text, re.M), cat                # every category explained
    # the summary does not read as a contradiction: violations 0, errata counted apart and explained
    assert "Nothing the library asserts is violated" in flat and "are not violations" in flat
    # each run's header comes before its rows and names the step sizes
    for name, run in verify_result["runs"].items():
        head = text.index(f"== run: {name} ==")
        assert text.index("steps: stage 1: eta0 =", head) < text.index("statement: quantity", head)
    assert "eta = 1e+06 for T1 = 1500" in text                                       # Example 1, large steps
    # every row's full label is in the text: its words in order, the numbers of its row between
    # the first line and the wrapped rest (never cut, no ellipsis)
    tokens = text.split()
    for r in _statement_rows(verify_result):
        words = r.name.split()
        starts = [i for i, w in enumerate(tokens) if tokens[i:i + 2] == words[:2]]
        assert any(_in_order(tokens[i:i + 4 * len(words) + 12], words) for i in starts), r.name
    assert "..." not in text and "\u2026" not in text


def _in_order(tokens, words):
    it = iter(tokens)
    return all(any(w == t for t in it) for w in words)


def test_proofs_text_lists_the_chains_and_every_step_with_wide(proofs_result):
    doc = proofs_document(proofs_result, figures=False)
    text, wide = to_text(doc, width=100), to_text(doc, width=100, wide=True)
    assert "== proof chains (one line per statement) ==" in text and "Proposition 3" in text
    keys = {r.key for r in proofs_result["table"] if r.kind != "S"}
    assert all(re.search(rf"^{re.escape(k)} ", wide, re.M) for k in keys)
    assert not all(re.search(rf"^{re.escape(k)} ", text, re.M) for k in keys)    # steps only with --wide


# ---------------------------------------------------------------- files

class _Page(html.parser.HTMLParser):
    """Every tag with its attributes, every id, and the text of <style>."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.style, self._in_style = [], set(), "", False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


@pytest.fixture(scope="module")
def page(verify_report):
    p = _Page()
    p.feed((verify_report[0] / "report.html").read_text(encoding="utf-8"))
    return p


def test_html_is_self_contained(page):
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe", "object", "embed")]
    for tag, a in page.tags:
        for k in ("src", "href", "srcset", "data", "action", "poster"):
            v = a.get(k)
            if v is None:
                continue
            assert not re.match(r"\s*(https?:)?//", v), f"<{tag} {k}={v[:60]}> loads from the network"
            if k == "href":
                assert v.startswith("#") and v[1:] in page.ids, f"link {v} does not resolve in the page"
    assert "url(" not in page.style and "@import" not in page.style


def test_html_shows_every_statement_as_a_picture(page, verify_result):
    pytest.importorskip("matplotlib", reason="the pictures need matplotlib (the plot extra)")
    imgs = [a for t, a in page.tags if t == "img"]
    assert imgs
    for a in imgs:
        src = a["src"]
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1], validate=True).startswith(PNG_MAGIC)
    pictured = {a["alt"] for a in imgs}
    with_series = {r.statement for r in _statement_rows(verify_result) if r.series is not None}
    assert with_series <= pictured
    assert {f"erratum {k}" for k in ("corollary1-upper", "theorem2-step-size")} <= pictured


def test_html_and_markdown_list_every_row_and_erratum(verify_report, verify_result):
    out = verify_report[0]
    page_text = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    import html as h
    for r in verify_result["table"]:
        assert h.escape(r.name) in page_text and r.name.replace("|", "\\|") in md, r.name
    for key in ERRATA:
        assert key in page_text and key in md
    for target in re.findall(r"\]\(([^)]+)\)", md):                     # every link of report.md resolves
        if target.startswith("#"):
            assert f'<a id="{target[1:]}"></a>' in md, target
        else:
            assert (out / target).is_file() and (out / target).read_bytes().startswith(PNG_MAGIC), target


def test_without_matplotlib_the_report_lists_everything_and_says_why(verify_result, monkeypatch, tmp_path):
    from reference.experiments import audit_sections, report_figures
    monkeypatch.setattr(audit_sections, "statement_figure", report_figures.statement_figure)   # not the memo
    monkeypatch.setitem(sys.modules, "matplotlib", None)                 # import matplotlib fails
    from reference.audit.report_files import write_reports
    doc = verify_document(verify_result)
    files = write_reports(doc, str(tmp_path))
    with open(files["html"], encoding="utf-8") as f:
        page_text = f.read()
    with open(files["md"], encoding="utf-8") as f:
        md = f.read()
    assert "<img" not in page_text and "needs matplotlib" in page_text and "plot" in page_text
    assert files["figures"] == [] and not os.path.exists(tmp_path / "report-figures")
    for r in verify_result["table"]:
        assert r.name.replace("|", "\\|") in md


def test_the_excerpt_shown_in_theory_md_is_real(verify_report):
    """docs/theory.md shows lines of verify's output at 100 columns: each is a line of the real output."""
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "theory.md"),
              encoding="utf-8") as f:
        doc = f.read()
    m = re.search(r"The start of the paper's experiment in `python -m reference verify` \(100 columns\):\n\n```text\n"
                  r"(.*?)```", doc, re.S)
    assert m, "docs/theory.md lost its excerpt of verify's output"
    real = {ln.rstrip() for ln in verify_report[1].splitlines()}
    shown = [ln.rstrip() for ln in m.group(1).splitlines() if ln.strip()]
    assert shown and [ln for ln in shown if ln not in real] == []


def test_sweep_prints_and_writes_the_same_report(tmp_path, capsys, monkeypatch):
    from reference.commands.cli import main
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["sweep", "--sizes", "3", "--seeds", "1", "--T", "20", "--T1", "20", "--L-max", "3", "--jobs", "1",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "What to know:" in out and "Legend (columns, then verdicts):" in out and "counts: " in out
    table = out[out.index("statement: quantity  "):]
    assert all(len(ln) <= 80 for ln in table.splitlines() if not ln.startswith("  wrote "))
    assert "Corollary 1: margin upper (corrected 4||W*_ov||" in out                  # wrapped, not cut
    p = _Page()
    p.feed((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert not [t for t, _ in p.tags if t in ("script", "link")]
    assert all(a["href"][1:] in p.ids for t, a in p.tags if t == "a" and "href" in a)
    assert all(a["src"].startswith("data:image/png;base64,") for t, a in p.tags if t == "img")
    assert (tmp_path / "report.md").is_file()


def test_stage1_stability_fact_follows_the_threshold_2_norm_W_star(verify_result):
    """From zero, a stage-1 perturbation grows iff ``eta0 > 2||W*_ov||`` (docs/claims.md, claim 3): the run header
    says so on every zero-initialised run of ``verify``, and nothing on the others."""
    from reference.experiments.audit_report import run_facts, run_info
    for name, run in verify_result["runs"].items():
        facts = dict(run_facts(run_info(name, run)))
        c, s_ov = run["traj"].config, run["traj"].star_norm_ov
        if c.get("init") != "zero":
            assert "stage-1 stability" not in facts
            continue
        text = facts["stage-1 stability"]
        assert ("grows by up to 10^" in text) == (c["eta0"] > 2 * s_ov), (name, text)
        assert ("damped" in text) == (c["eta0"] <= 2 * s_ov), (name, text)
