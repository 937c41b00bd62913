"""Compound device engines (unit cells, transfer, mixed precision)."""
