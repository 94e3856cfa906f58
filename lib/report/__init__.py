"""Reports a colleague opens without the app: one self-contained HTML file, and a PDF.

Pure (Product and view settings in, bytes out; pictures through a loader the caller
gives), so a job can write reports as well as the app:

    from lib.report import ProductSettings, ReportContext, product_report, to_pdf
    html = product_report(product, ProductSettings(quantity=500), ReportContext())
    pdf = to_pdf(html, paper="Letter")

Outside text only ever enters the HTML escaped (lib/report/markup.py), the seller's
description only sanitised, and nothing in a report loads from a network.
"""
from lib.compare_view import CompareSettings
from lib.report.comparison import comparison_report
from lib.report.document import ReportContext
from lib.report.pdf import PdfUnavailable, to_pdf
from lib.report.product import LandedSeen, ProductSettings, product_report

__all__ = ["CompareSettings", "LandedSeen", "PdfUnavailable", "ProductSettings",
           "ReportContext", "comparison_report", "product_report", "to_pdf"]
