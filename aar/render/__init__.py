"""Renderers of the report: the PDF, the Word copy, and the figures and fonts they draw with."""
