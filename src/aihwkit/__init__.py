"""Analog AI hardware simulator in PyTorch, compatible with the aihwkit API."""

__version__ = "0.1.0"
