"""Pulsed update parameters."""

from dataclasses import dataclass

from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.parameters.helpers import _PrintableMixin


@dataclass
class UpdateParameters(_PrintableMixin):
    """How ``W -= lr * d x^T`` is turned into pulse trains of length ``desired_bl``.

    ``res``, ``x_res_implicit`` and ``d_res_implicit`` are bin widths (not step counts).
    """

    desired_bl: int = 31
    fixed_bl: bool = True
    pulse_type: PulseType = PulseType.STOCHASTIC_COMPRESSED
    res: float = 0
    x_res_implicit: float = 0
    d_res_implicit: float = 0
    d_sparsity: bool = False
    sto_round: bool = False
    update_bl_management: bool = True
    update_management: bool = True
    um_grad_scale: float = 1.0
