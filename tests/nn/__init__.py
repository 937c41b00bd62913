"""Tests of the analog layers."""
