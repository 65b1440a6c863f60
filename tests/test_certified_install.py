"""Without the optional extra ``certified`` (python-flint), the certified mode says how to install it, in one line."""

import sys

import pytest

from reference.structure.generate import example1


def test_without_the_extra_one_clear_line(monkeypatch):
    """Without python-flint the certified entry points raise MissingExtraError saying how to install it."""
    from reference.certified import certified_ngd, certify_star, MissingExtraError
    monkeypatch.setitem(sys.modules, "flint", None)
    for call in (lambda: certified_ngd(example1(), 0.1, 0.025, 1, 1), lambda: certify_star(example1(), "ov")):
        with pytest.raises(MissingExtraError) as e:
            call()
        msg = str(e.value)
        assert "\n" not in msg and 'pip install -e ".[certified]"' in msg
