"""Part 3 of the paper (Section 3, Eq. 1, 5, 6, Appendix A): the transformer and its losses, literally.

``phi``, the attention, ``Tbar`` and ``T``; the losses ``L`` (Eq. 1) and ``L_0``
and their gradients (Eq. 5, 6), also scaled for the saturated regime; public
gradient checkers. The functions ``transformer`` and ``loss`` are not
re-exported here (they would hide their modules): import them from
:mod:`reference.model.transformer` and :mod:`reference.model.loss`.
"""

from .crossentropy import log_softplus, softplus
from .gradcheck import (
                        check_grad_complex_step,
                        check_grad_directional,
                        check_grad_entrywise,
                        COMPLEX_STEP_H,
                        COMPLEX_STEP_RTOL,
                        DIRECTIONAL_H,
                        DIRECTIONAL_RTOL,
                        ENTRYWISE_H,
                        ENTRYWISE_RTOL,
                        FD_SCALE_FLOOR,
                        GradCheckResult,
                        GradientCheckError,
                        N_DIRECTIONS,
)
from .loss import grad_loss, grad_loss0, log_loss, log_loss0, loss0
from .loss_scaled import grad_loss0_scaled, grad_loss_scaled, unit_grad_loss, unit_grad_loss0
from .transformer import attention, logits, phi, predict, scores

__all__ = ["softplus", "log_softplus", "phi", "scores", "attention", "logits", "predict", "loss0",
           "log_loss", "log_loss0", "grad_loss", "grad_loss0", "grad_loss_scaled", "grad_loss0_scaled",
           "unit_grad_loss", "unit_grad_loss0", "GradCheckResult", "GradientCheckError",
           "check_grad_directional", "check_grad_complex_step", "check_grad_entrywise", "DIRECTIONAL_H",
           "DIRECTIONAL_RTOL", "N_DIRECTIONS", "COMPLEX_STEP_H", "COMPLEX_STEP_RTOL", "ENTRYWISE_H",
           "ENTRYWISE_RTOL", "FD_SCALE_FLOOR"]
