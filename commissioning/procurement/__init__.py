"""Procurement: published scoring rules, the scoring engine, rank sensitivity and awards."""
