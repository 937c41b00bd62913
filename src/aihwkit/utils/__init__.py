"""Utilities: embedded data, and later visualization and fitting helpers."""
