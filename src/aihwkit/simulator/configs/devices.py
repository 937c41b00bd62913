"""Device configurations: floating point, ideal and pulsed single-device models."""

from dataclasses import dataclass, field

from aihwkit.simulator.parameters.helpers import _PrintableMixin
from aihwkit.simulator.parameters.inference import SimpleDriftParameter


@dataclass
class FloatingPointDevice(_PrintableMixin):
    """Floating point reference device: exact forward, backward and update.

    ``lifetime`` (in optimizer steps, > 1 to act) decays weights as
    ``W <- W * (1 - 1 / lifetime)``; ``diffusion`` adds ``diffusion * xi`` per step.
    """

    diffusion: float = 0.0
    lifetime: float = 0.0
    drift: SimpleDriftParameter = field(default_factory=SimpleDriftParameter)

    def requires_diffusion(self) -> bool:
        """Whether the optimizer step applies diffusion."""
        return self.diffusion > 0.0

    def requires_decay(self) -> bool:
        """Whether the optimizer step applies decay."""
        return self.lifetime > 0.0
