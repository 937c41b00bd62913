"""Quantization settings of the digital parts of quantized torch tiles and modules.

A bit width ``n_bits <= 0`` switches the respective quantization off. Quantization is
uniform over a range estimated from the data (min-max); ``symmetric`` ranges are
``[-r, r]``.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from aihwkit.simulator.parameters.helpers import _PrintableMixin


@dataclass
class ActivationQuantConfig(_PrintableMixin):
    """Quantization of activations (a module's inputs or a tile's outputs).

    ``n_bits``: bit width (0: off); ``symmetric``: symmetric range around 0;
    ``learn_quant_params``: learn the range by gradient after ``init_learning_after``
    training batches of min-max estimation.
    """

    n_bits: int = 0
    symmetric: bool = True
    learn_quant_params: bool = False
    init_learning_after: int = 100


@dataclass
class WeightQuantConfig(_PrintableMixin):
    """Quantization of digital weights.

    ``n_bits``: bit width (0: off); ``symmetric``: symmetric range around 0;
    ``per_channel``: one range per output channel instead of one per tensor.
    """

    n_bits: int = 0
    symmetric: bool = True
    per_channel: bool = False


@dataclass
class QuantizationConfig(_PrintableMixin):
    """Quantization of one digital module: its activations and its weights (``None``: off)."""

    activation_quant_config: Optional[ActivationQuantConfig] = None
    weight_quant_config: Optional[WeightQuantConfig] = None


@dataclass
class QuantizationMap(_PrintableMixin):
    """Which modules of a network are quantized and how.

    ``module_qconfig_map`` maps module classes (e.g. ``torch.nn.Linear``) to their
    :class:`QuantizationConfig`; ``instance_qconfig_map`` maps qualified module names (as in
    ``named_modules()``) to one and takes precedence.
    """

    module_qconfig_map: Dict[Any, QuantizationConfig] = field(default_factory=dict)
    instance_qconfig_map: Dict[str, QuantizationConfig] = field(default_factory=dict)

    def config_for(self, name: str, module: Any) -> Optional[QuantizationConfig]:
        """The config of the module ``name`` (instance entries first, then its class)."""
        if name in self.instance_qconfig_map:
            return self.instance_qconfig_map[name]
        return self.module_qconfig_map.get(type(module))
