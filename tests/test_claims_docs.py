"""docs/claims.md: each ```python block runs and prints exactly the ```text block that follows it.

(tests/test_docs.py runs the blocks of README, the tutorial, conformance and experiments pages;
this does the same for the claims page, with the helpers of that module.)
"""

import os

from test_docs import _lines, DOCS, python_blocks, shown_output

CLAIMS = os.path.join(DOCS, "claims.md")


def test_claims_md_python_blocks_run_and_print_what_they_show(capsys):
    blocks, shown = python_blocks(CLAIMS), shown_output(CLAIMS)
    assert len(blocks) == 4 and set(shown) == {line for line, _ in blocks}
    for line, code in blocks:
        capsys.readouterr()
        try:
            exec(compile(code, f"{CLAIMS}:{line}", "exec"), {"__name__": "__doc__"})
        except Exception as e:
            raise AssertionError(f"the python block at docs/claims.md:{line} fails: {e!r}") from e
        assert _lines(capsys.readouterr().out) == _lines(shown[line]), f"docs/claims.md:{line} prints otherwise"
