"""Needs: the data, the need models and the gap between provision and need."""
