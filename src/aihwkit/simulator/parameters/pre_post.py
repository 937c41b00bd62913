"""Digital pre- and post-processing around the analog tile (input range learning)."""

from dataclasses import dataclass, field
from typing import Optional

from aihwkit.simulator.parameters.base import RPUConfigBase
from aihwkit.simulator.parameters.helpers import _PrintableMixin


@dataclass
class InputRangeParameter(_PrintableMixin):
    """Learned input clipping ``x <- clip(x, -r, r) / r`` with outputs multiplied by ``r``.

    ``r`` starts at ``init_value`` and, over the first ``init_from_data`` training
    batches, follows ``init_std_alpha * std(x)``.
    """

    enable: bool = field(default=False, metadata={"always_show": True})
    learn_input_range: bool = True
    init_value: float = 3.0
    init_from_data: int = 100
    init_std_alpha: float = 3.0
    decay: float = 0.001
    input_min_percentage: float = 0.95
    manage_output_clipping: bool = False
    output_min_percentage: float = 0.95
    gradient_scale: float = 1.0
    gradient_relative: bool = True
    calibration_info: Optional[str] = None


@dataclass
class PeripheryQuantizationParameter(_PrintableMixin):
    """Quantization of the digital periphery (quantized torch tiles)."""

    n_bits: int = 0
    symmetric: bool = True
    learn_quant_params: bool = False
    init_learning_after: int = 100


@dataclass
class PrePostProcessingParameter(_PrintableMixin):
    """Pre/post-processing settings of a tile."""

    input_range: InputRangeParameter = field(default_factory=InputRangeParameter)


@dataclass
class PrePostProcessingParameterQuant(PrePostProcessingParameter):
    """Pre/post-processing with periphery quantization."""

    periph_quant: PeripheryQuantizationParameter = field(
        default_factory=PeripheryQuantizationParameter)


@dataclass
class PrePostProcessingRPU(RPUConfigBase):
    """An RPU config with pre/post-processing settings."""

    pre_post: PrePostProcessingParameter = field(default_factory=PrePostProcessingParameter)
