"""Utilities: embedded data, device and inference plots, fitting, model summaries."""
