"""Invalid compositions raise ConfigError naming the field."""

import pytest

from aihwkit.exceptions import ConfigError
from aihwkit.simulator.configs import (
    BufferedTransferCompound, ConstantStepDevice, DigitalRankUpdateRPUConfig,
    FloatingPointDevice, IdealDevice, MixedPrecisionCompound, OneSidedUnitCell,
    ReferenceUnitCell, SoftBoundsDevice, TransferCompound, UnitCellRPUConfig, VectorUnitCell)
from aihwkit.simulator.tiles import AnalogTile

from compound_helpers import engine, quiet

CASES = {
    "vector_empty": (lambda: VectorUnitCell([]), "unit_cell_devices"),
    "vector_ideal": (lambda: VectorUnitCell([IdealDevice(), IdealDevice()]),
                     r"unit_cell_devices\[0\]"),
    "vector_floating_point": (lambda: VectorUnitCell([quiet(), FloatingPointDevice()]),
                              r"unit_cell_devices\[1\]"),
    "vector_gamma_length": (lambda: VectorUnitCell([quiet(), quiet()], gamma_vec=[1.0]),
                            "gamma_vec"),
    "vector_first_index": (lambda: VectorUnitCell([quiet(), quiet()], first_update_idx=2),
                           "first_update_idx"),
    "reference_empty": (lambda: ReferenceUnitCell([]), "unit_cell_devices"),
    "one_sided_empty": (lambda: OneSidedUnitCell([]), "unit_cell_devices"),
    "one_sided_three": (lambda: OneSidedUnitCell([quiet(), quiet(), quiet()]),
                        "unit_cell_devices"),
    "one_sided_mixed_types": (lambda: OneSidedUnitCell([ConstantStepDevice(),
                                                        SoftBoundsDevice()]),
                              "unit_cell_devices"),
    "one_sided_ideal": (lambda: OneSidedUnitCell([IdealDevice()]), "unit_cell_devices"),
    "transfer_one_device": (lambda: TransferCompound([quiet()]), "unit_cell_devices"),
    "transfer_empty": (lambda: TransferCompound(), "unit_cell_devices"),
    "transfer_ideal": (lambda: TransferCompound([IdealDevice(), quiet()]),
                       r"unit_cell_devices\[0\]"),
    "transfer_gamma_last_zero": (lambda: TransferCompound([quiet(), quiet()],
                                                          gamma_vec=[1.0, 0.0]), "gamma_vec"),
    "transfer_gamma_length": (lambda: TransferCompound([quiet(), quiet()], gamma_vec=[1.0]),
                              "gamma_vec"),
    "transfer_lr_length": (lambda: TransferCompound([quiet(), quiet()],
                                                    transfer_lr_vec=[1.0, 1.0, 1.0]),
                           "transfer_lr_vec"),
    "transfer_every_length": (lambda: TransferCompound([quiet(), quiet()],
                                                       transfer_every_vec=[1.0]),
                              "transfer_every_vec"),
    "transfer_reads": (lambda: TransferCompound([quiet(), quiet()], n_reads_per_transfer=0),
                       "n_reads_per_transfer"),
    "transfer_row_reset": (lambda: TransferCompound([quiet(), quiet()], transfer_columns=False,
                                                    with_reset_prob=0.1), "with_reset_prob"),
    "buffered_threshold": (lambda: BufferedTransferCompound([quiet(), quiet()],
                                                            thres_scale=0.0), "thres_scale"),
    "mixed_default_device": (lambda: MixedPrecisionCompound(), "unit_cell_devices"),
    "mixed_floating_point": (lambda: MixedPrecisionCompound(device=FloatingPointDevice()),
                             "device"),
    "mixed_bins": (lambda: MixedPrecisionCompound(device=quiet(), n_x_bins=1), "n_x_bins"),
    "mixed_rows": (lambda: MixedPrecisionCompound(device=quiet(), n_rows_per_transfer=-2),
                   "n_rows_per_transfer"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_composition_names_the_field(case):
    factory, field = CASES[case]
    with pytest.raises(ConfigError, match=field):
        engine(factory(), 2, 3)


def test_tile_construction_reports_the_error():
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        AnalogTile(2, 3, UnitCellRPUConfig(device=VectorUnitCell([IdealDevice()])))
    with pytest.raises(ConfigError, match="unit_cell_devices"):
        AnalogTile(2, 3, DigitalRankUpdateRPUConfig(device=MixedPrecisionCompound()))


@pytest.mark.parametrize("name", ["vector_random", "one_sided", "transfer", "chopped",
                                  "mixed_precision"])
def test_bad_update_inputs_leave_state_untouched(name):
    import copy
    import torch
    from aihwkit.exceptions import ArgumentError, TileError
    from compound_helpers import catalogue

    tile = AnalogTile(3, 4, catalogue()[name]())
    engine_before = copy.deepcopy(tile.tile.device_engine)
    with pytest.raises(TileError):
        tile.tile.device_engine.update(torch.ones(2, 5), torch.ones(2, 3), 0.1,
                                       tile.rpu_config.update)
    bad = torch.ones(2, 4)
    bad[1, 2] = float("nan")
    with pytest.raises(ArgumentError):
        tile.tile.device_engine.update(bad, torch.ones(2, 3), 0.1, tile.rpu_config.update)
    after = tile.tile.device_engine
    for key, value in engine_before.get_hidden_parameters().items():
        assert torch.equal(value, after.get_hidden_parameters()[key])
    assert getattr(after, "cycle", 0) == getattr(engine_before, "cycle", 0)
    assert tile.tile.device_engine.rng.generator.get_state().equal(
        engine_before.rng.generator.get_state())
