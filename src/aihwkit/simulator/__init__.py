"""Simulator: configurations, engine and tiles."""
