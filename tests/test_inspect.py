"""``python -m reference inspect``: Example 1 by default, exit status 0 / 1 / 2, JSON that parses."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reference.commands import cli
from reference.errors import VocabularyError

ROOT = Path(__file__).resolve().parents[1]

#: A corpus whose prefixes make a cycle under the query a: [b a] -> a gives b > a, [b a a] -> b gives a > b;
#: and n(b) = n(c) = a breaks injectivity.
BAD = "a b\nb a a b\nc a b a\n"


def run(argv, capsys):
    code = cli.main(["inspect", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_example1_is_the_default(capsys):
    code, out, _ = run([], capsys)
    assert code == 0
    assert "S -> V, V -> O, O -> P, P -> S" in out
    for pair in ("S >_S P", "V >_V S", "O >_O S", "O >_O V", "O >_P P"):
        assert pair in out
    assert "verdict: Assumptions 1-3 hold" in out


def test_json_on_example1(capsys):
    code, out, _ = run(["--json"], capsys)
    r = json.loads(out)
    assert code == 0 and r["ok"] and r["prefix_closed"]
    assert r["collocation"] == {"S": "V", "V": "O", "O": "P", "P": "S"}
    assert r["orders"]["P"] == {"pairs": [["O", "P"]], "optimal": ["O"], "non_optimal": ["P"],
                                "non_comparable": ["S", "V"], "confused": []}
    assert {e["name"] for e in r["entries"]} >= {"collocation", "strict_order", "no_confused",
                                                 "assumption3", "orthonormal", "prefix_closed"}


def test_bad_corpus_exits_1_and_names_offenders(tmp_path, capsys):
    f = tmp_path / "bad.txt"
    f.write_text(BAD)
    code, out, _ = run([str(f)], capsys)
    assert code == 1 and "FAILS" in out and "'b a a'" in out and "n('b') = n('c') = 'a'" in out
    code, out, _ = run([str(f), "--json"], capsys)
    r = json.loads(out)
    assert code == 1 and not r["ok"] and r["failed_assumptions"] == ["1(i)", "1(ii)"]


def test_bad_input_exits_2(tmp_path, capsys):
    code, _, err = run([str(tmp_path / "missing.txt")], capsys)
    assert code == 2 and err.startswith("error:") and "missing.txt" in err
    f = tmp_path / "short.txt"
    f.write_text("a b\nc\n")                           # a one-token line has no next token
    code, _, err = run([str(f)], capsys)
    assert code == 2 and "short.txt:2" in err


def test_help_documents_exit_status():
    p = subprocess.run([sys.executable, "-m", "reference", "inspect", "--help"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    text = " ".join(p.stdout.split())                 # argparse wraps to the terminal width
    assert p.returncode == 0 and "Exit status: 0" in text and "1 when some fail" in text


def _inspect_section():
    text = (ROOT / "docs" / "structure.md").read_text(encoding="utf-8")
    start = text.index("## The inspect command")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_json_schema_is_documented(tmp_path, capsys):
    """docs/structure.md lists exactly the top-level keys, and names every entry and violation key."""
    f = tmp_path / "bad.txt"
    f.write_text(BAD)
    _, out, _ = run([str(f), "--json"], capsys)
    r = json.loads(out)
    section = _inspect_section()
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert documented == set(r)
    named = set(re.findall(r"`(\w+)`", section))
    entry_keys = {k for e in r["entries"] for k in e}
    violation_keys = {k for e in r["entries"] for v in e["violations"] for k in v}
    assert violation_keys and entry_keys - {"violations"} <= named and violation_keys <= named
    assert [e["name"] for e in r["entries"]] == re.findall(
        r"`(\w+)`", section[section.index("in the order"):].split("|")[0])


def test_json_violations_carry_their_sentence(tmp_path, capsys):
    f = tmp_path / "bad.txt"
    f.write_text(BAD)
    _, out, _ = run([str(f), "--json"], capsys)
    r = json.loads(out)
    lines = BAD.splitlines()
    seen = 0
    for e in r["entries"]:
        for v in e["violations"]:
            if v["sentence"] is None:
                assert v["sentence_text"] is None and v["origin"] is None
                continue
            seen += 1
            # the origin names the corpus line; the sentence is a prefix of that line
            m = re.search(r":(\d+) \(prefix of length (\d+)\)", v["origin"])
            line, length = lines[int(m.group(1)) - 1].split(), int(m.group(2))
            assert v["sentence_text"] == " ".join(line[:length])
            assert repr(v["sentence_text"]) in v["message"]
    assert seen >= 2                                   # the cycle and the non-injective collocation


def test_many_non_comparable_tokens_are_counted_in_text_and_listed_in_json(tmp_path, capsys):
    """30 two-token lines (60 tokens): under each query all but at most two tokens are non-comparable.
    The text report gives their number (the vocabulary minus the other three types, counted by hand),
    the JSON lists every one of them, and QueryOrder computes them as the complement of its types."""
    from reference import Dataset
    from reference.structure import check_assumptions

    f = tmp_path / "pairs.txt"
    f.write_text("".join(f"t{2 * i} t{2 * i + 1}\n" for i in range(30)))
    code, out, _ = run([str(f)], capsys)
    lines = [ln for ln in out.splitlines() if "non-comparable:" in ln]
    assert len(lines) == 30                                  # queries t0, t2, ...: one line each
    assert all("non-comparable: 60 tokens, not listed (--json lists them)" in ln for ln in lines)
    code_j, out_j, _ = run([str(f), "--json"], capsys)
    r = json.loads(out_j)
    assert code_j == code
    for q, o in r["orders"].items():
        assert o["optimal"] == o["non_optimal"] == o["confused"] == [] and o["pairs"] == []
        assert o["non_comparable"] == [f"t{i}" for i in range(60)]
    ds = Dataset.from_corpus(str(f))
    for q, o in check_assumptions(ds).orders.items():       # the partial collocation: n(t_odd) undefined
        typed = set(o.optimal) | set(o.non_optimal) | set(o.confused)
        assert o.non_comparable == tuple(i for i in range(60) if i not in typed)
        assert o.n_non_comparable() == len(o.non_comparable) == 60
        assert {o.type_of(i) for i in range(60)} == {"non_comparable"}
        for bad in (-1, 60, "t0", True, 1.0):
            with pytest.raises(VocabularyError, match="outside the vocabulary"):
                o.type_of(bad)
