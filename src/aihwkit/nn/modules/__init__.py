"""Analog layers."""
