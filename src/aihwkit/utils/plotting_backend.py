"""Lazy access to matplotlib for the plotting helpers."""

from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported on first use.

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
    """
    try:
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise ImportError("aihwkit plots need matplotlib: install it with "
                          "'pip install matplotlib' (or 'pip install aihwkit-torch[plots]')"
                          ) from exc
    return plt
