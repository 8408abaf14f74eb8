"""The store: one database for rounds, bids, the panel, scores, moderation and the audit log."""
