"""The PDF documents (reportlab): needs assessment, evaluation report, published priorities."""
