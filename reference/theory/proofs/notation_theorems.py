"""Decisions on the notation of Appendix C.5-D and of the statements it proves (Theorems 1-3, Proposition 4).

Inconsistencies of notation that touch several steps: ``L_max`` (Section 3), the attention written
without transposes (Theorem 2's statement, D.2), and the symbols the paper gives two or more meanings
(``C_0``, ``Delta``, ``alpha_t``, ``beta_0``), which the code keeps apart. Each is a
:class:`~reference.theory.proofs.entries.Decision` of the registry, written up in docs/proofs.md.
"""

from .entries import Decision
from .registry import REGISTRY

__all__ = []

for _d in (
        Decision("typo-L-max", items=(28,), steps=("P120", "P120.2", "P124", "P112.2"), category="typo",
                 summary="Section 3 writes the sentences of D_0 with L < L_max, leaving open whether L_max counts the "
                         "next token; the library takes the longest input sentence. Every bound of C.5-D weakens as "
                         "L_max grows (t_0, Theorem 1's constant, 1/(1 + L_max e^{-C_1 t}) with C_1 ~ 1/L_max) and every "
                         "condition strengthens, so the rows checked with the smaller L_max imply the other reading",
                 evidence=("rows P120, P120.2, P124 of python -m reference proofs",)),
        Decision("typo-attention-notation", items=(19,), steps=("P119", "P133"), category="typo",
                 summary="Theorem 2's statement (p.7) and D.2 write the attention as phi_l ~ exp(x_l W_kq^(t) x_L), "
                         "without transposes, as Eq. (9) writes W_kq and L for W_kq^(t) and L^(n); read as x_l^T "
                         "W_kq^(t) x_L over the positions of the sentence, P119 and P133 are identities to rounding",
                 evidence=("rows P119, P133 of python -m reference proofs",)),
        Decision("typo-symbol-clashes", items=(26,), steps=("SKETCH", "P115", "P132.3", "P105"), category="typo",
                 summary="C_0 has five meanings: the rate after Proposition 1 (p.7; proposition1_loss_exponent), "
                         "Theorem 2's eta0/(4||W*_ov||^2) (C0_thm2), the constant of the Section 5.3 sketch "
                         "(C0_thm1_sketch, Step 3's inequality: row SKETCH), Theorem 3's growth constant (C0_thm3, "
                         "theorem3_C_proof) and a threshold of Eq. (11). Delta is the stage-1 margin (Delta_act, "
                         "Delta_paper) and a scaling in Appendix B; alpha_t is Lemma 2's (alpha_ov) and Lemma 7's "
                         "(alpha_kq); beta_0 depends on t (beta). The code gives each its own name",
                 evidence=("tests/test_theory.py::test_the_three_C0_are_different_objects",
                           "docs/theory.md, 'The C_0 of the paper'")),
):
    REGISTRY.add_decision(_d)
