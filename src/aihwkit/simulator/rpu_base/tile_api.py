"""The engine-tile methods that code written for the compiled engine calls on
``tile.tile`` (learning rate, sizes, weights, device operations, extra state).

Every numeric argument is checked (finite, in range, of the right kind) before the
engine changes; errors are :class:`~aihwkit.exceptions.ArgumentError` naming it.
"""

from typing import Any, Dict

import torch

from aihwkit.exceptions import ArgumentError, ConfigError, TileError
from aihwkit.simulator.rpu_base.arguments import check_integer, check_real
from aihwkit.simulator.rpu_base.state import export_state, import_state


class EngineTileAPI:
    """Methods of the compiled engine's tile objects, on top of an engine with
    ``learning_rate``, ``d_size``, ``x_size``, ``device_engine``, ``get_weights`` and
    ``set_weights``."""

    learning_rate: float
    d_size: int
    x_size: int
    device_engine: Any
    rpu_config: Any

    # ------------------------------------------------------------------ pulse counters
    def get_pulse_counters(self) -> torch.Tensor:
        """Up and down pulses per crosspoint since construction, summed over the engine's
        devices that have ``count_pulses=True``.

        Returns:
            int64 CPU tensor ``[2, d_size, x_size]`` (index 0: up pulses, 1: down pulses).

        Raises:
            ConfigError: when no device of the engine counts pulses.
        """
        # pylint: disable=import-outside-toplevel
        from aihwkit.simulator.rpu_base.state import engine_parts
        parts = [part for part in engine_parts(self)
                 if getattr(getattr(part, "s", None), "count_pulses", False)]
        if not parts:
            raise ConfigError("no device of this tile counts pulses: set count_pulses=True "
                              "on the pulsed device(s) of its rpu_config")
        total = torch.zeros(2, self.d_size, self.x_size, dtype=torch.int64)
        for part in parts:
            if part.pulse_counters is not None:
                total += part.pulse_counters.cpu()
        return total

    # ------------------------------------------------------------------ sizes / info
    def get_x_size(self) -> int:
        """Number of inputs (columns, incl. an analog bias column)."""
        return self.x_size

    def get_d_size(self) -> int:
        """Number of outputs (rows)."""
        return self.d_size

    def get_brief_info(self) -> str:
        """One-line summary, e.g. ``RPUPulsed<float>[ConstantStep](3,4)``."""
        return self.brief_info()  # type: ignore[attr-defined]

    def get_info(self) -> str:
        """Multi-line summary (same as ``str(tile)``)."""
        return str(self)

    def get_meta_parameters(self) -> Any:
        """The configuration the engine was built from."""
        return self.rpu_config

    # ------------------------------------------------------------------ learning rate
    def get_learning_rate(self) -> float:
        """The engine learning rate."""
        return self.learning_rate

    def set_learning_rate(self, learning_rate: float) -> None:
        """Set the engine learning rate (finite, ``>= 0``)."""
        self.learning_rate = check_real("learning_rate", learning_rate, minimum=0.0)

    # ------------------------------------------------------------------ weights
    def set_weights_uniform_random(self, min_value: float, max_value: float) -> None:
        """Weights drawn uniformly from ``[min_value, max_value)`` (tile generator)."""
        low = check_real("min_value", min_value)
        high = check_real("max_value", max_value)
        if high < low:
            raise ArgumentError(f"max_value must be >= min_value, got {high} < {low}")
        draw = self.rng.uniform((self.d_size, self.x_size), self.dtype)  # type: ignore
        self.set_weights(draw * (high - low) + low)  # type: ignore[attr-defined]

    def get_hidden_update_index(self) -> int:
        """Sub-device that receives the next update (unit cells; 0 otherwise)."""
        return self.device_engine.get_hidden_update_index()

    def set_hidden_update_index(self, index: int) -> None:
        """Choose the sub-device that receives the next update (unit cells)."""
        self.device_engine.set_hidden_update_index(check_integer("index", index, minimum=0))

    # ------------------------------------------------------------------ device operations
    def decay_weights(self, alpha: float = 1.0) -> None:
        """Decay towards the reset values with the decay rate scaled by ``alpha >= 0``."""
        self.device_engine.decay_weights(check_real("alpha", alpha, minimum=0.0))

    def diffuse_weights(self) -> None:
        """One diffusion step."""
        self.device_engine.diffuse_weights()

    def drift_weights(self, delta_t: float = 1.0) -> None:
        """Device drift over ``delta_t >= 0`` time units."""
        self.device_engine.drift_weights(check_real("delta_t", delta_t, minimum=0.0))

    def reset_columns(self, start_column_idx: int = 0, num_columns: int = 1,
                      reset_prob: float = 1.0) -> None:
        """Reset ``num_columns`` columns (``-1``: all) from ``start_column_idx``."""
        self.device_engine.reset_columns(
            check_integer("start_column_idx", start_column_idx),
            check_integer("num_columns", num_columns, minimum=-1),
            check_real("reset_prob", reset_prob, minimum=0.0, maximum=1.0))

    # ------------------------------------------------------------------ extra state
    def dump_extra(self) -> Dict[str, Any]:
        """The complete engine state as plain data (see :mod:`.state`)."""
        return export_state(self)

    def load_extra(self, extra: Dict[str, Any], strict: bool = False) -> None:
        """Restore :meth:`dump_extra` data (``strict`` is accepted for compatibility:
        the structure is always checked)."""
        if not isinstance(extra, dict):
            raise TileError(f"extra state must be a dict, got {type(extra).__name__}")
        import_state(self, extra)
