"""The report as a PDF (WeasyPrint: HTML and CSS laid out for paper, no browser).

The same HTML document the HTML download gives, printed on A4 or Letter with the
print styles of lib/report/document.py (a section per page, page numbers). WeasyPrint
is allowed to read only the data: URIs the report embeds: any other address (there is
none by construction) is refused rather than fetched.
"""
from __future__ import annotations

import logging

from lib.report.document import PAPERS

# WeasyPrint names every screen-only CSS rule it skips (overflow-x, the phone layout):
# noise in the app's log for a report that is right.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


class PdfUnavailable(RuntimeError):
    """WeasyPrint's system libraries (Pango) are missing on this computer."""

    user_message = ("The PDF needs the Pango text library, which is not installed on the "
                    "computer running the app (Debian/Ubuntu: apt-get install "
                    "libpango-1.0-0 libpangoft2-1.0-0). The HTML report works without it "
                    "and prints from any browser.")


def to_pdf(html: bytes, paper: str = "A4") -> bytes:
    """The report's HTML (product_report / comparison_report) as a PDF on `paper`
    ("A4" or "Letter")."""
    try:
        import weasyprint
        import weasyprint.urls
    except OSError as error:                 # cffi could not load libpango
        raise PdfUnavailable(str(error)) from error
    size = PAPERS.get(paper, "A4")
    # A user stylesheet: without !important the document's own "@page { size: A4 }" wins.
    page = weasyprint.CSS(string=f"@page {{ size: {size} !important; }}")
    # Only the report's own data: URIs; an address of any other kind is refused.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"}, timeout=1)
    document = weasyprint.HTML(string=html.decode("utf-8"), url_fetcher=fetcher,
                               media_type="print")
    return document.write_pdf(stylesheets=[page])


def pdf_available() -> bool:
    """Whether WeasyPrint's text libraries are on this computer (checked without
    importing WeasyPrint, which takes most of a second)."""
    from ctypes.util import find_library

    return all(find_library(name) for name in ("pango-1.0", "pangoft2-1.0"))
