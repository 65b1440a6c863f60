"""The datasets and runs of the golden cases, each with what it is there to catch.

A golden case is only as strong as its data: a bug stays invisible on data
where it changes nothing. Example 1 has every count 1 (so ``pi`` is uniform),
no sentence mixing a repeated token with a different one, and ``|V| = 4``;
the datasets below add what it lacks, and each says (field ``catches``)
which realistic bugs it exposes:

=====================  =====  ===  ====================================================================
name                   abs(V)  d   what it adds
=====================  =====  ===  ====================================================================
example1               4      4    the paper's Example 1, identity ``E``, W*_kq printed in Section 6
example1-orthonormal   4      7    the same sentences in ``d != abs(V)``: transposes change shapes
weighted               6      8    a prefix-closed corpus with uneven counts (``pi`` not uniform) and
                                   sentences such as ``B F A C A`` (a repeated token beside others)
samples                5      7    a sample set that is not prefix-closed, uneven counts, and a query
                                   where Proposition 2's closed form is not ``W*_kq``
large                  20     20   the size of the paper's experiment (Section 7), random
=====================  =====  ===  ====================================================================

:data:`RUNS` are the settings of Algorithm 1 recorded per dataset: always
``T != T1`` and ``eta0 != eta`` (so swapped lengths or step sizes show), one
short run in the ordinary regime and, on the small datasets, one long run
with large steps that drives the probabilities to 1 (the saturated regime).
"""

from ..data.dataset import Dataset
from ..data.vocabulary import Vocabulary

__all__ = ["DATASETS", "RUNS", "CASE_GRID", "WEIGHTED_CORPUS", "SAMPLES", "build_dataset"]

#: A prefix-closed corpus over A..F with collocation A->C, B->F, C->E, D->B, E->D, F->A. Lines are
#: repeated or cut short as in a natural corpus, so the counts of D_0 run from 1 to 5 (38 samples).
WEIGHTED_CORPUS = ("A C", "B F A C A C", "B F A C A", "B F A C A", "B F A C", "B F", "C E D B D B", "C E",
                   "D B", "D B", "D B", "E D B D B", "F A C A C", "F A C A")

#: ``(sentence, next token, count)``: a sample set that is not prefix-closed (``d a d a`` is in it,
#: ``d a`` is not); under the query ``b`` the optimal tokens are ``c, d`` and the non-optimal ``a, b, e``,
#: with ``a, e`` below ``c`` only, which breaks Proposition 2's closed form (docs/maxmargin.md).
SAMPLES = (("a", "c", 4), ("b", "d", 1), ("c", "e", 3), ("d", "b", 3), ("e", "a", 2),
           ("d c c c", "e", 3), ("d a d a", "c", 1), ("d b", "b", 3), ("c a c e", "e", 2), ("b c", "e", 1),
           ("b e d", "d", 2), ("e c b", "e", 2), ("c a e b", "e", 3), ("b d", "d", 3))

#: name -> (about, catches): what each dataset is and the bugs it is there to expose.
DATASETS = {
    "example1": (
        "Example 1 (Figure 1): corpus SVOP, VOP, OPP, PSV, prefix-closed; identity E (d = |V| = 4)",
        "the paper's own example with W*_kq as printed in Section 6; a wrong softmax, loss or step shows here"),
    "example1-orthonormal": (
        "Example 1 with random orthonormal embeddings in d = 7 > |V| = 4",
        "W_ov or E used transposed, or E taken to be the identity: with d != |V| the shapes or values differ"),
    "weighted": (
        "a prefix-closed corpus of 14 lines over A..F (38 samples, counts 1 to 5), random orthonormal E, d = 8",
        "pi ignored (a plain mean over distinct sentences), a sum instead of the pi-weighted mean, and token "
        "multiplicities dropped in the attention (sentences such as 'B F A C A' mix a repeated token with others)"),
    "samples": (
        "a sample set over a..e that is not prefix-closed (counts 1 to 4), random orthonormal E, d = 7",
        "D_0 rebuilt as a prefix closure, In read off the data instead of given, W*_kq taken from "
        "Proposition 2's closed form (it is not the max-margin solution for the query 'b' here)"),
    "large": (
        "a random prefix-closed realizable dataset with |V| = d = 20, the size of the paper's experiment "
        "(Section 7), L_max = 3, uneven counts",
        "a size or loop bound fixed to the small examples (|V| = 4), and rounding that grows with |V|"),
}

_SHORT = ("a few normalised steps in the ordinary regime; T != T1 and eta0 != eta catch swapped lengths or "
          "step sizes, and W_kq^(2) catches a stage 2 that moves W_ov")
_LONG = ("large steps until the probabilities of both stages round to 1 in float64: an implementation that is "
         "not saturation-safe deviates from the first saturated step on")
#: (run, dataset, eta0, eta, T, T1, about): the recorded runs of Algorithm 1, always T != T1 and
#: eta0 != eta. "short" stays in the ordinary regime; "long" takes large steps until the probabilities
#: of both stages round to 1, where 1 - p by subtraction and an underflowing gradient break.
RUNS = tuple(("short", name, 0.3, 0.7, 5, 8, _SHORT) for name in DATASETS if name != "large") + (
    ("short", "large", 0.3, 0.7, 2, 3, _SHORT),
    ("long", "example1", 2.0, 3.0, 60, 90, _LONG),
    ("long", "weighted", 4.0, 6.0, 25, 40, _LONG),
)
#: The weight families and scales of the cases of each dataset (default: both families at every
#: scale); the large dataset keeps one ordinary and one saturated case, so the file stays small.
CASE_GRID = {"large": (("random", 1.0), ("aligned", 1e3))}


def build_dataset(name, rng):
    """The dataset ``name`` of :data:`DATASETS`, its random embeddings (and for ``large`` its sentences) from ``rng``.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    rng : numpy.random.Generator

    Returns
    -------
    Dataset
        ``D_0`` with orthonormal embeddings (Assumption 2), satisfying Assumptions 1-3.
    """
    from ..structure.generate import example1, random_realizable
    if name == "example1":
        return example1()
    if name == "example1-orthonormal":
        ds = example1()
        return ds.with_vocab(Vocabulary.random_orthonormal(ds.vocab.tokens, 7, rng=rng))
    if name == "weighted":
        ds = Dataset.from_corpus(list(WEIGHTED_CORPUS), vocab=Vocabulary(list("ABCDEF")))
        return ds.with_vocab(Vocabulary.random_orthonormal(ds.vocab.tokens, 8, rng=rng))
    if name == "samples":
        ds = Dataset.from_samples([(s, y) for s, y, k in SAMPLES for _ in range(k)], vocab=Vocabulary(list("abcde")))
        return ds.with_vocab(Vocabulary.random_orthonormal(ds.vocab.tokens, 7, rng=rng))
    if name == "large":
        ds = random_realizable(20, L_max=3, N=24, p_pointer=0.5, extra_lines=12, rng=rng)
        return ds.with_vocab(Vocabulary.random_orthonormal(ds.vocab.tokens, 20, rng=rng))
    raise KeyError(name)
