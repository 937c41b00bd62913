"""Builders shared by the compound tests: noise-free devices, perfect IO, engines."""

from typing import Any

import torch

from aihwkit.simulator.configs import ConstantStepDevice, IOParameters, UpdateParameters
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.rpu_base.rng import TileRNG
from aihwkit.simulator.rpu_base.tile import build_device

CPU = torch.device("cpu")
F64 = torch.float64
DW = 0.001


def quiet(**overrides: Any) -> ConstantStepDevice:
    """Noise-free ConstantStep device of spec 20 §15 (dw_min 0.001, bounds +-10)."""
    fields = dict(dw_min=DW, dw_min_dtod=0.0, dw_min_std=0.0, up_down=0.0, up_down_dtod=0.0,
                  w_max=10.0, w_min=-10.0, w_max_dtod=0.0, w_min_dtod=0.0, reset_std=0.0)
    fields.update(overrides)
    return ConstantStepDevice(**fields)


def perfect() -> IOParameters:
    """Noise-free, unquantized periphery."""
    return IOParameters(is_perfect=True)


def mean_count(desired_bl: int = 1000, **overrides: Any) -> UpdateParameters:
    """Deterministic pulse counts (MEAN_COUNT)."""
    return UpdateParameters(pulse_type=PulseType.MEAN_COUNT, desired_bl=desired_bl,
                            **overrides)


def engine(config: Any, d_size: int, x_size: int, seed: int = 7, dtype: torch.dtype = F64):
    """Device engine of ``config`` with its own generator."""
    return build_device(config, d_size, x_size, device=CPU, dtype=dtype,
                        rng=TileRNG(CPU, seed=seed))


def hidden(eng: Any, name: str) -> torch.Tensor:
    """One hidden parameter of an engine."""
    return eng.get_hidden_parameters()[name]


def t64(values: Any) -> torch.Tensor:
    """A float64 tensor (2-d for nested lists)."""
    return torch.tensor(values, dtype=F64)


def catalogue(**device_fields: Any):
    """One noisy configuration per compound rule: ``{name: rpu_config factory}``.

    Default devices (device-to-device and cycle-to-cycle noise on, ``device_fields``
    applied to every device) and default periphery, so that state round trips also carry
    random streams.
    """
    # pylint: disable=import-outside-toplevel
    from aihwkit.simulator.configs import (
        BufferedTransferCompound, ChoppedTransferCompound, ConstantStepDevice,
        DigitalRankUpdateRPUConfig, DynamicTransferCompound, MixedPrecisionCompound,
        OneSidedUnitCell, ReferenceUnitCell, SoftBoundsDevice, TransferCompound,
        UnitCellRPUConfig, VectorUnitCell, VectorUnitCellUpdatePolicy)

    policy = VectorUnitCellUpdatePolicy

    def soft(**fields):
        return SoftBoundsDevice(**{**device_fields, **fields})

    def constant():
        return ConstantStepDevice(**device_fields)

    def unit(device):
        return lambda: UnitCellRPUConfig(device=device())

    def pair():
        return [soft(), soft()]

    return {
        "vector_all": unit(lambda: VectorUnitCell([constant(), soft()])),
        "vector_sequential": unit(lambda: VectorUnitCell(
            [soft(), soft(), soft()],
            update_policy=policy.SINGLE_SEQUENTIAL)),
        "vector_random": unit(lambda: VectorUnitCell(
            pair(), update_policy=policy.SINGLE_RANDOM, gamma_vec=[0.6, 0.6])),
        "reference": unit(lambda: ReferenceUnitCell([soft()])),
        "one_sided": unit(lambda: OneSidedUnitCell(
            [soft(w_max=1.0, w_min=-1.0)], refresh_every=2)),
        "transfer": unit(lambda: TransferCompound(pair(), transfer_every=1)),
        "transfer_3": unit(lambda: TransferCompound(
            [soft(), soft(), soft()], gamma=0.1, transfer_every=1, random_selection=True)),
        "buffered": unit(lambda: BufferedTransferCompound(pair(), transfer_every=1)),
        "chopped": unit(lambda: ChoppedTransferCompound(
            pair(), transfer_every=1, auto_scale=True, out_chop_prob=0.3, in_chop_prob=0.3)),
        "dynamic": unit(lambda: DynamicTransferCompound(
            pair(), transfer_every=1, in_chop_prob=0.5, auto_scale=True)),
        "mixed_precision": lambda: DigitalRankUpdateRPUConfig(device=MixedPrecisionCompound(
            device=soft(), n_x_bins=16, n_d_bins=16)),
    }
