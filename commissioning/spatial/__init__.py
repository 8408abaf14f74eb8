"""Spatial: boundaries, accessibility across borders, lots and scenarios."""
