"""Publishing: priorities, report text and the documents (PDF)."""
