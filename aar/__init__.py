"""The after-action report: scoring (pure functions of scenario + journal), the report model, the PDF.

``aar.report.build_report`` -> ``aar.model.AfterActionReport`` -> ``aar.render.pdf.render_pdf`` (bytes).
"""
