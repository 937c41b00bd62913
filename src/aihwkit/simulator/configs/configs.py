"""RPU configurations: which tile to build and every parameter it needs."""

# pylint: disable=too-many-instance-attributes

from dataclasses import dataclass, field
from typing import Any, Optional

from aihwkit.simulator.configs.compounds import DigitalRankUpdateCell, UnitCell
from aihwkit.simulator.configs.devices import (
    ConstantStepDevice, FloatingPointDevice, IdealDevice, PulsedDevice)
from aihwkit.simulator.parameters.enums import PulseType
from aihwkit.simulator.parameters.helpers import lazy_class
from aihwkit.simulator.parameters.inference import (
    WeightClipParameter, WeightModifierParameter, WeightRemapParameter)
from aihwkit.simulator.parameters.io import IOParameters, IOParametersIRDropT
from aihwkit.simulator.parameters.mapping import MappableRPU
from aihwkit.simulator.parameters.pre_post import (
    PrePostProcessingParameter, PrePostProcessingParameterQuant, PrePostProcessingRPU)
from aihwkit.simulator.parameters.quantization import ActivationQuantConfig
from aihwkit.simulator.parameters.training import UpdateParameters

_TILES = "aihwkit.simulator.tiles"
_BINDINGS = {"bindings_include": True}


def default_noise_model() -> Any:
    """A fresh ``PCMLikeNoiseModel()`` (imported here: configs do not import inference
    code at module level); ``None`` if this version does not provide it."""
    try:
        from aihwkit.inference.noise.pcm import (  # pylint: disable=import-outside-toplevel
            PCMLikeNoiseModel)
    except ImportError:
        return None
    return PCMLikeNoiseModel()


def default_drift_compensation() -> Any:
    """A fresh ``GlobalDriftCompensation()`` (lazily imported, ``None`` if unavailable)."""
    try:
        from aihwkit.inference.compensation import (  # pylint: disable=import-outside-toplevel
            GlobalDriftCompensation)
    except ImportError:
        return None
    return GlobalDriftCompensation()


@dataclass
class FloatingPointRPUConfig(MappableRPU, PrePostProcessingRPU):
    """Configuration of an exact floating point tile."""

    tile_class: Any = lazy_class(f"{_TILES}.floating_point:FloatingPointTile")
    tile_array_class: Any = lazy_class(f"{_TILES}.array:TileModuleArray")
    device: FloatingPointDevice = field(default_factory=FloatingPointDevice)


@dataclass
class IOManagedRPUConfig(MappableRPU, PrePostProcessingRPU):
    """A configuration whose forward and backward passes go through the analog periphery
    (``forward``/``backward``) and whose update is pulsed (``update``)."""

    forward: IOParameters = field(default_factory=IOParameters, metadata=_BINDINGS)
    backward: IOParameters = field(default_factory=IOParameters, metadata=_BINDINGS)
    update: UpdateParameters = field(default_factory=UpdateParameters, metadata=_BINDINGS)


@dataclass
class SingleRPUConfig(IOManagedRPUConfig):
    """Configuration of an analog tile with one pulsed device per crosspoint."""

    tile_class: Any = lazy_class(f"{_TILES}.analog:AnalogTile")
    tile_array_class: Any = lazy_class(f"{_TILES}.array:TileModuleArray")
    device: PulsedDevice = field(default_factory=ConstantStepDevice)


@dataclass
class UnitCellRPUConfig(IOManagedRPUConfig):
    """Configuration of an analog tile with a unit cell or transfer compound per crosspoint
    (``device`` must be set to a concrete compound)."""

    tile_class: Any = lazy_class(f"{_TILES}.analog:AnalogTile")
    tile_array_class: Any = lazy_class(f"{_TILES}.array:TileModuleArray")
    device: UnitCell = field(default_factory=UnitCell)


@dataclass
class DigitalRankUpdateRPUConfig(IOManagedRPUConfig):
    """Configuration of an analog tile whose rank update is done digitally (``device``
    must be set to a concrete cell such as ``MixedPrecisionCompound``)."""

    tile_class: Any = lazy_class(f"{_TILES}.analog:AnalogTile")
    tile_array_class: Any = lazy_class(f"{_TILES}.array:TileModuleArray")
    device: DigitalRankUpdateCell = field(default_factory=DigitalRankUpdateCell)


@dataclass
class InferenceRPUConfig(IOManagedRPUConfig):
    """Configuration for hardware-aware training and inference.

    Noisy forward (``forward``), perfect backward and exact floating point update (both
    fixed, not settable in ``__init__``). Builds an ``InferenceTile`` and follows the
    semantics of aihwkit's compiled inference tile: the weight modifier is redrawn once per
    optimizer step, discretization uses the compiled tile's grid, and weight gradients are
    divided by the mapping scale and the input range. ``noise_model`` programs and drifts the weights
    for inference, ``drift_compensation`` corrects the output drift; ``clip``, ``remap``
    and ``modifier`` act during training.
    """

    tile_class: Any = lazy_class(f"{_TILES}.inference:InferenceTile")
    tile_array_class: Any = lazy_class(f"{_TILES}.array:TileModuleArray")
    forward: IOParameters = field(default_factory=IOParameters, metadata=_BINDINGS)
    backward: IOParameters = field(
        default_factory=lambda: IOParameters(is_perfect=True), init=False, metadata=_BINDINGS)
    update: UpdateParameters = field(
        default_factory=lambda: UpdateParameters(pulse_type=PulseType.NONE), init=False,
        metadata=_BINDINGS)
    noise_model: Any = field(default_factory=default_noise_model)
    drift_compensation: Optional[Any] = field(default_factory=default_drift_compensation)
    clip: WeightClipParameter = field(default_factory=WeightClipParameter)
    remap: WeightRemapParameter = field(default_factory=WeightRemapParameter)
    modifier: WeightModifierParameter = field(default_factory=WeightModifierParameter)
    device: IdealDevice = field(default_factory=IdealDevice, init=False)

    def compatible_with(self, tile_class_name: str) -> bool:
        """Whether a tile of class ``tile_class_name`` (also ``TorchInferenceTile``) can be
        built from this config."""
        if tile_class_name == "TorchInferenceTile":
            return True
        return super().compatible_with(tile_class_name)


@dataclass
class TorchInferenceRPUConfig(InferenceRPUConfig):
    """Inference configuration simulated in plain torch (full autograd through the MVM).

    Builds a ``TorchInferenceTile`` and follows the semantics of aihwkit's torch inference
    tile: the weight modifier is redrawn at every training forward, inputs clipped by the
    input range get zero gradient, and weight gradients are divided by the mapping scale
    only. Unsupported settings raise ``TorchTileConfigError`` when the tile is built.
    """

    tile_class: Any = lazy_class(f"{_TILES}.inference_torch:TorchInferenceTile")
    simulator_tile_class: Any = lazy_class(f"{_TILES}.torch_tile:TorchSimulatorTile")


@dataclass
class TorchInferenceRPUConfigIRDropT(TorchInferenceRPUConfig):
    """Torch inference configuration with the time-resolved IR-drop model."""

    simulator_tile_class: Any = lazy_class(
        f"{_TILES}.torch_tile_irdrop_t:TorchSimulatorTileIRDropT")
    forward: IOParametersIRDropT = field(default_factory=IOParametersIRDropT)


@dataclass
class QuantizedTorchInferenceRPUConfig(TorchInferenceRPUConfig):
    """Torch inference configuration with quantized digital periphery.

    ``act_quant_config`` quantizes the tile outputs (``None``: off);
    ``pre_post.periph_quant`` quantizes the digital output scales and bias.
    """

    tile_class: Any = lazy_class(
        f"{_TILES}.quantized_inference_torch:QuantizedTorchInferenceTile")
    tile_array_class: Any = lazy_class(f"{_TILES}.array:QuantizedTileModuleArray")
    pre_post: PrePostProcessingParameter = field(
        default_factory=PrePostProcessingParameterQuant)
    act_quant_config: Optional[ActivationQuantConfig] = None
