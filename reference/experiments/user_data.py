"""The user's own data: ``--corpus FILE`` or ``--samples FILE`` into ``D_0``, with the assumption report first.

One loader for every command that takes data: :func:`add_data_options` adds
the two options to an ``argparse`` parser, :func:`load_user_data` (or
:func:`from_args`) reads the file into a :class:`reference.data.Dataset`,
checks Assumptions 1-3 (Section 4.1, :func:`reference.structure.check_assumptions`)
and says which statements of the paper are *not applicable* because an
assumption they need fails (:data:`REQUIRES`): their conditions never hold
on this data, so an audit checks nothing for them (their rows read n/a).

``--corpus FILE``
    full sentences, one per line; ``D_0`` is their prefix closure
    (:meth:`reference.data.Dataset.from_corpus`, docs/structure.md).
``--samples FILE``
    samples ``tokens -> next``, one per line, taken as they are (need not be
    prefix-closed; :mod:`reference.data.samples_file`).

Both: ``#`` comments, blank lines ignored, every error names file and line.
"""

from dataclasses import dataclass

from ..data.dataset import Dataset
from ..data.samples_file import load_samples
from ..errors import AssumptionError, ConfigError
from ..structure.assumptions import check_assumptions

__all__ = ["REQUIRES", "UserData", "add_data_options", "load_user_data", "from_args", "not_applicable"]

_STAGE1 = ("1(i)", "1(ii)", "2")
_ALL = ("1(i)", "1(ii)", "2", "3")
#: Statement -> the assumptions (the paper's labels, Section 4.1) under which it is stated
#: (docs/paper.md section 7; Lemma 3 needs Assumption 2 although it does not list it). Without
#: them its conditions never hold: the statement is n/a on the data.
REQUIRES = {
    "Lemma 1": _STAGE1, "Proposition 1": _STAGE1, "Lemma 3": _STAGE1, "Corollary 1": _STAGE1,
    "Proposition 2": _STAGE1,
    "Lemma 5": _ALL, "Lemma 6": _ALL, "Lemma 7": _ALL, "Theorem 1": _ALL, "Theorem 2": _ALL, "Theorem 3": _ALL,
}


def _assumptions(labels):
    return ("Assumption " if len(labels) == 1 else "Assumptions ") + ", ".join(labels)


def not_applicable(failed_assumptions):
    """The statements that are n/a when the assumptions ``failed_assumptions`` fail.

    Parameters
    ----------
    failed_assumptions : iterable of str
        The paper's labels of the failing assumptions (``"1(i)"``, ``"1(ii)"``, ``"2"``, ``"3"``),
        e.g. :attr:`reference.structure.AssumptionReport.failed_assumptions`.

    Returns
    -------
    dict
        Statement name -> the failing assumptions it needs (sorted), in the order of
        :data:`REQUIRES`; statements that need none of them are absent.
    """
    failed = set(failed_assumptions)
    return {s: tuple(sorted(failed.intersection(need))) for s, need in REQUIRES.items() if failed.intersection(need)}


@dataclass(frozen=True)
class UserData:
    """A user's data file read into ``D_0``, with its assumption report.

    Attributes
    ----------
    ds : Dataset
    name : str
        The file as given on the command line.
    kind : str
        ``"corpus"`` (prefix closure of full sentences) or ``"samples"`` (samples as given).
    report : AssumptionReport
        Assumptions 1-3 and prefix-closedness (Section 4.1).
    not_applicable : dict
        :func:`not_applicable` of the failing assumptions: statement -> the failing ones it needs.
    trainable : bool
        Algorithm 1 can run: the collocation exists and is one-to-one (Assumption 1(i)), since
        stage 1 trains ``W_ov`` on the pairs ``([x], n(x))`` and Eq. (2) is phrased in ``n``.
    """

    ds: Dataset
    name: str
    kind: str
    report: object
    not_applicable: dict
    trainable: bool

    def lines(self):
        """The report to print first: the data, every assumption's verdict, then what is n/a.

        Returns
        -------
        list of str
            Lines without newlines.
        """
        ds, how = self.ds, ("corpus: D_0 is the prefix closure of its sentences" if self.kind == "corpus"
                            else "samples, taken as they are")
        out = [f"data: {self.name} ({how})",
               f"D_0: N = {ds.N} distinct sentences ({int(ds.counts.sum())} samples), L_max = {ds.L_max}, "
               f"abs(V) = {ds.vocab.n_tokens}, d = {ds.vocab.d}",
               "assumptions (Section 4.1; docs/paper.md section 4):"]
        out += ["  " + ln for ln in self.report.format()]
        if self.report.ok:
            out.append("verdict: Assumptions 1-3 hold; every statement applies to this data.")
        else:
            failed = self.report.failed_assumptions
            out.append(f"verdict: {_assumptions(failed)} {'fails' if len(failed) == 1 else 'fail'}. "
                       "A statement that needs a failing assumption is n/a on this data: its conditions "
                       "never hold, so an audit checks none of its bounds (except a norm's upper bound "
                       "||W^(t)|| <= t eta, true for any normalised step):")
            groups = {}
            for s, a in self.not_applicable.items():
                groups.setdefault(a, []).append(s)
            out += [f"  n/a (needs {_assumptions(a)}): {', '.join(ss)}" for a, ss in groups.items()]
            applies = [s for s in REQUIRES if s not in self.not_applicable]
            out.append("  still applies: " + (", ".join(applies) if applies else "no statement"))
        if not self.trainable:
            out.append("Algorithm 1 cannot run on this data: stage 1 trains W_ov on the pairs ([x], n(x)), "
                       "which needs a one-to-one collocation n (Assumption 1(i)).")
        return out

    def require_trainable(self):
        """Raise unless Algorithm 1 can run on the data (see :attr:`trainable`).

        Raises
        ------
        AssumptionError
            The collocation is missing or not one-to-one; names the first violation.
        """
        if not self.trainable:
            v = self.report["collocation"].details
            raise AssumptionError(f"{self.name}: Algorithm 1 cannot run without a one-to-one collocation "
                                  f"(Assumption 1(i)): {v[0]}")


def add_data_options(parser, required=False):
    """Add ``--corpus FILE`` and ``--samples FILE`` (mutually exclusive) to an ``argparse`` parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    required : bool
        One of the two must be given.

    Returns
    -------
    argparse group
        The mutually exclusive group holding the two options (``dest`` ``corpus`` and ``samples``).
    """
    g = parser.add_mutually_exclusive_group(required=required)
    g.add_argument("--corpus", metavar="FILE",
                   help="your corpus: one sentence per line, tokens separated by spaces, '#' comments; "
                        "D_0 is its prefix closure")
    g.add_argument("--samples", metavar="FILE",
                   help="your samples, one 'tokens -> next' per line, '#' comments; taken as they are "
                        "(need not be prefix-closed)")
    return g


def load_user_data(corpus=None, samples=None):
    """Read ``corpus`` or ``samples`` (exactly one) into ``D_0`` and check Assumptions 1-3 (Section 4.1).

    Parameters
    ----------
    corpus : str or os.PathLike, optional
        A corpus file (:meth:`Dataset.from_corpus`).
    samples : str or os.PathLike, optional
        A sample file (:func:`reference.data.samples_file.load_samples`).

    Returns
    -------
    UserData

    Raises
    ------
    ConfigError
        Neither or both given.
    CorpusError
        The file is missing or malformed (file and line named).
    """
    if (corpus is None) == (samples is None):
        raise ConfigError("give exactly one of --corpus FILE and --samples FILE")
    if corpus is not None:
        ds, name, kind = Dataset.from_corpus(corpus), str(corpus), "corpus"
    else:
        ds, name, kind = load_samples(samples), str(samples), "samples"
    report = check_assumptions(ds)
    return UserData(ds=ds, name=name, kind=kind, report=report,
                    not_applicable=not_applicable(report.failed_assumptions),
                    trainable=report["collocation"].ok)


def from_args(args):
    """:func:`load_user_data` of the options of :func:`add_data_options`; None when neither was given.

    Parameters
    ----------
    args : argparse.Namespace
        With attributes ``corpus`` and ``samples``.

    Returns
    -------
    UserData or None

    Raises
    ------
    CorpusError
        As :func:`load_user_data`.
    """
    corpus, samples = getattr(args, "corpus", None), getattr(args, "samples", None)
    if corpus is None and samples is None:
        return None
    return load_user_data(corpus=corpus, samples=samples)
