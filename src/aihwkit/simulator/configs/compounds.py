"""Compound device configurations: unit cells of several devices and transfer rules.

Children are device configurations (pulsed single devices or other compounds). Learning
rates are dimensionless factors on the tile learning rate unless stated; periods are in
update cycles (one cycle = one input vector), or in mini-batches with ``units_in_mbatch``.
"""

# pylint: disable=too-many-instance-attributes

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, List

from aihwkit.simulator.parameters.enums import VectorUnitCellUpdatePolicy
from aihwkit.simulator.parameters.helpers import _PrintableMixin
from aihwkit.simulator.parameters.io import IOParameters
from aihwkit.simulator.parameters.training import UpdateParameters


def _single_pulse_update() -> UpdateParameters:
    """Transfer writes of one pulse per element (no update management)."""
    return UpdateParameters(desired_bl=1, update_bl_management=False, update_management=False)


@dataclass
class UnitCell(_PrintableMixin):
    """Abstract cell of several devices per crosspoint (a tile cannot be built from it).

    ``unit_cell_devices``: the child device configurations; ``construction_seed``: seed of
    the children's device-to-device draws (0: random).
    """

    bindings_ignore: ClassVar[List[str]] = ["diffusion", "lifetime"]

    unit_cell_devices: List[Any] = field(default_factory=list)
    construction_seed: int = 0

    def requires_diffusion(self) -> bool:
        """Whether any child applies diffusion at the optimizer step."""
        return any(dev.requires_diffusion() for dev in self.unit_cell_devices)

    def requires_decay(self) -> bool:
        """Whether any child applies decay at the optimizer step."""
        return any(dev.requires_decay() for dev in self.unit_cell_devices)


@dataclass
class VectorUnitCell(UnitCell):
    """Several devices per crosspoint; the visible weight is ``W = sum_k gamma_k W_k``.

    ``update_policy`` selects which children receive an update (all, or one per update
    cycle: fixed at ``first_update_idx``, sequential or random); ``gamma_vec`` the
    dimensionless weights ``gamma_k`` (empty: ``1 / n`` each).
    """

    update_policy: VectorUnitCellUpdatePolicy = VectorUnitCellUpdatePolicy.ALL
    first_update_idx: int = 0
    gamma_vec: List[float] = field(default_factory=list, metadata={"hide_if": []})


@dataclass
class ReferenceUnitCell(UnitCell):
    """Device and reference: ``W = W_0 - W_1``; updates go to child 0 only.

    One device given: the reference is a copy of it; more than two: the first two are used.
    """

    update_policy: VectorUnitCellUpdatePolicy = VectorUnitCellUpdatePolicy.SINGLE_FIXED
    first_update_idx: int = 0
    gamma_vec: List[float] = field(default_factory=lambda: [1.0, -1.0],
                                   metadata={"hide_if": [1.0, -1.0]})


@dataclass
class OneSidedUnitCell(UnitCell):
    """Two devices receiving only up pulses: ``W = W_1 - W_0`` (positive and negative part).

    Every ``refresh_every`` update cycles (times the mini-batch size with
    ``units_in_mbatch``; <= 0: never), pairs with a device above ``refresh_upper_thres`` and
    the other below ``refresh_lower_thres`` (fractions of the device range) are read with
    ``refresh_forward``, reset and rewritten with ``refresh_update``. ``copy_inverted``
    builds the second device with inverted parameters.
    """

    refresh_every: int = 0
    units_in_mbatch: bool = True
    refresh_upper_thres: float = 0.75
    refresh_lower_thres: float = 0.25
    refresh_forward: IOParameters = field(default_factory=IOParameters)
    refresh_update: UpdateParameters = field(default_factory=UpdateParameters)
    copy_inverted: bool = False


@dataclass
class DifferenceUnitCell(OneSidedUnitCell):
    """Deprecated name of :class:`OneSidedUnitCell`."""


def _accept_n_cols_per_transfer(cls: type) -> type:
    """Let ``__init__`` take the old keyword ``n_cols_per_transfer`` for
    ``n_reads_per_transfer``."""
    init: Callable[..., None] = cls.__init__  # type: ignore[misc]

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if "n_cols_per_transfer" in kwargs:
            if "n_reads_per_transfer" in kwargs:
                raise TypeError(f"{cls.__name__}() got both 'n_cols_per_transfer' and "
                                "'n_reads_per_transfer'")
            kwargs["n_reads_per_transfer"] = kwargs.pop("n_cols_per_transfer")
        init(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]
    return cls


@_accept_n_cols_per_transfer
@dataclass
class TransferCompound(UnitCell):
    """Tiki-Taka: SGD pulses onto a fast device, periodically transferred to slow devices.

    Child 0 (fast) receives the gradient with learning rate ``fast_lr``; every
    ``transfer_every`` cycles ``n_reads_per_transfer`` columns (rows unless
    ``transfer_columns``) of child ``k`` are read with ``transfer_forward`` and written
    onto child ``k + 1`` with ``transfer_update`` and learning rate ``transfer_lr`` (times
    the SGD learning rate with ``scale_transfer_lr``). The visible weight is
    ``sum_k gamma_k W_k`` with ``gamma_{n-1-i} = gamma^i`` unless ``gamma_vec`` is given.
    ``with_reset_prob``: probability to reset a read column of the source.
    ``random_selection``: random instead of sequential start column.
    ``n_cols_per_transfer`` is accepted as the old name of ``n_reads_per_transfer``.
    """

    gamma: float = 0.0
    gamma_vec: List[float] = field(default_factory=list, metadata={"hide_if": []})
    transfer_every: float = 1.0
    no_self_transfer: bool = True
    transfer_every_vec: List[float] = field(default_factory=list, metadata={"hide_if": []})
    units_in_mbatch: bool = True
    n_reads_per_transfer: int = 1
    transfer_columns: bool = True
    with_reset_prob: float = 0.0
    random_selection: bool = False
    fast_lr: float = 1.0
    transfer_lr: float = 1.0
    transfer_lr_vec: List[float] = field(default_factory=list, metadata={"hide_if": []})
    scale_transfer_lr: bool = True
    transfer_forward: IOParameters = field(default_factory=IOParameters)
    transfer_update: UpdateParameters = field(default_factory=UpdateParameters)

    @property
    def n_cols_per_transfer(self) -> int:
        """Old name of ``n_reads_per_transfer``."""
        return self.n_reads_per_transfer

    @n_cols_per_transfer.setter
    def n_cols_per_transfer(self, value: int) -> None:
        self.n_reads_per_transfer = value


@_accept_n_cols_per_transfer
@dataclass
class BufferedTransferCompound(TransferCompound):
    """Transfer through a digital buffer (TTv2-style).

    Reads are accumulated in a floating point buffer; a write of ``n = trunc(buffer /
    (thres_scale * g))`` pulses of size ``step * g`` (``g``: granularity of the receiving
    device) happens when ``|n| >= 1``; then the buffer keeps ``momentum`` times its value
    (``forget_buffer``) or the written amount is subtracted.
    """

    thres_scale: float = 1.0
    step: float = 1.0
    momentum: float = 0.1
    forget_buffer: bool = True
    transfer_update: UpdateParameters = field(default_factory=_single_pulse_update)


@_accept_n_cols_per_transfer
@dataclass
class ChoppedTransferCompound(TransferCompound):
    """Transfer with input/output choppers and a digital buffer (TTv3, c-TTv2).

    Exactly two devices. ``in_chop_prob``/``out_chop_prob``: chopper switching probability
    (per read / per sweep); ``in_chop_random``: random or regular switching;
    ``buffer_granularity`` threshold in units of the fast device's granularity;
    ``auto_granularity`` (> 0) rescales it with the transfer period; ``step`` write size
    in units of the slow device's granularity; ``momentum``/``forget_buffer`` as
    :class:`BufferedTransferCompound`; ``no_buffer`` drop the buffer between reads;
    ``auto_scale`` normalize by a running gradient scale with momentum ``auto_momentum``;
    ``correct_gradient_magnitudes`` scale the fast learning rate by the granularity ratio.
    """

    units_in_mbatch: bool = False
    in_chop_prob: float = 0.1
    in_chop_random: bool = True
    out_chop_prob: float = 0.0
    buffer_granularity: float = 1.0
    auto_granularity: float = 0.0
    step: float = 1.0
    momentum: float = 0.0
    forget_buffer: bool = True
    no_buffer: bool = False
    auto_scale: bool = False
    auto_momentum: float = 0.99
    correct_gradient_magnitudes: bool = False
    transfer_columns: bool = True
    fast_lr: float = 1.0
    transfer_lr: float = 1.0
    scale_transfer_lr: bool = True
    transfer_forward: IOParameters = field(default_factory=IOParameters)
    transfer_update: UpdateParameters = field(default_factory=_single_pulse_update)


@_accept_n_cols_per_transfer
@dataclass
class DynamicTransferCompound(ChoppedTransferCompound):
    """Chopped transfer against a running reference (TTv4 / AGAD).

    The chopper switches every ``K = max(ceil(1 / in_chop_prob), 2)`` sweeps (plus random
    switches with ``in_chop_random``); reads are compared with the running mean of the
    previous chopper phase, weighted by ``tail_weightening``.
    ``experimental_correct_accumulation`` divides the buffer increment by the number of
    reads of the phase; ``buffer_cap`` caps ``|buffer|`` in units of the maximal write
    (0: no cap).
    """

    in_chop_prob: float = 0.1
    in_chop_random: bool = False
    step: float = 1.0
    momentum: float = 0.0
    transfer_columns: bool = True
    buffer_granularity: float = 1.0
    forget_buffer: bool = True
    fast_lr: float = 1.0
    transfer_lr: float = 1.0
    scale_transfer_lr: bool = True
    transfer_forward: IOParameters = field(default_factory=IOParameters)
    transfer_update: UpdateParameters = field(default_factory=_single_pulse_update)
    experimental_correct_accumulation: bool = False
    buffer_cap: float = 0.0
    tail_weightening: float = 5.0


@dataclass
class DigitalRankUpdateCell(_PrintableMixin):
    """Abstract cell whose rank update is computed digitally (a tile cannot be built
    from it). ``device``: the analog device used for forward/backward."""

    device: Any = field(default_factory=VectorUnitCell)
    construction_seed: int = 0

    def requires_diffusion(self) -> bool:
        """Whether the analog device applies diffusion at the optimizer step."""
        return self.device.requires_diffusion()

    def requires_decay(self) -> bool:
        """Whether the analog device applies decay at the optimizer step."""
        return self.device.requires_decay()


@dataclass
class MixedPrecisionCompound(DigitalRankUpdateCell):
    """Mixed precision (Nandakumar et al. 2020): digital accumulation ``chi += lr * d x^T``,
    written to ``device`` in pulses of its granularity.

    Every ``transfer_every`` mini-batches (<= 0: never) ``n_rows_per_transfer`` rows (-1:
    all; ``random_row``: random start) with ``|chi| >= granularity`` receive
    ``n = trunc(chi / granularity)`` pulses, written with learning rate
    ``granularity * transfer_lr``, and ``chi -= n * granularity`` (``granularity`` in
    weight units, 0: the device's own). ``n_x_bins``/``n_d_bins``
    quantize x and d before accumulation (0: off), with stochastic rounding when
    ``stoc_round_x``/``stoc_round_d``.
    """

    transfer_every: int = 1
    n_rows_per_transfer: int = -1
    random_row: bool = False
    granularity: float = 0.0
    transfer_lr: float = 1.0
    n_x_bins: int = 0
    n_d_bins: int = 0
    stoc_round_x: bool = True
    stoc_round_d: bool = True
