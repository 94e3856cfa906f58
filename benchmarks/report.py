"""Report build times and sizes (issue 16): `python -m benchmarks report`.

The HTML report (lib.report.product_report) and its PDF (lib.report.to_pdf) of the
45-SKU demo backpack and of a 1,000-SKU synthetic product, with the bundled pictures
read from static/ as the app's loader does for demo products. Goals: under 2 s (45 SKUs)
and 10 s (1,000 SKUs); a typical report under 2 MB. Times are the best of 3 after the
first call, which is printed on its own: the process's first call starts vl-convert's
engine (charts) and imports WeasyPrint (PDF).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.synthetic import ds_payload
from lib.client import fetch_product
from lib.platforms import parse_payload
from lib.query import ProductQuery
from lib.sandbox import DEMO_PRODUCTS, SandboxTransport

ROOT = Path(__file__).resolve().parents[1]
STATIC_PREFIX = "/app/static/"
SIZE_BUDGET = 2_000_000          # bytes: a typical report
GOALS = {45: 2.0, 1000: 10.0}    # seconds, by SKU count


def static_pictures(url: str) -> bytes | None:
    """The demo products' pictures from static/ (what lib.ui.report_image does for them,
    without Streamlit); None for anything else."""
    if not url.startswith(STATIC_PREFIX):
        return None
    path = ROOT / "static" / url[len(STATIC_PREFIX):]
    return path.read_bytes() if path.is_file() else None


def _timed(action):
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def _best_of(runs: int, action) -> float:
    return min(_timed(action)[0] for _ in range(runs))


def _pages(pdf: bytes) -> str:
    try:
        import pypdfium2
    except ImportError:                        # a dev dependency; the count is a bonus
        return "? pages"
    document = pypdfium2.PdfDocument(pdf)
    try:
        return f"{len(document)} pages"
    finally:
        document.close()


def _products():
    backpack = fetch_product(DEMO_PRODUCTS[0], transport=SandboxTransport())
    body = json.dumps(ds_payload(1000)).encode()
    query = ProductQuery("aliexpress", "1005009999999999", country="US", currency="USD",
                         language="en")
    synthetic = parse_payload("aliexpress", body, query)
    return [("45-SKU backpack", backpack), ("1,000-SKU synthetic", synthetic)]


def bench_report(paper: str = "A4") -> None:
    from lib.report import ReportContext, product_report, to_pdf
    from lib.report.pdf import pdf_available

    context = ReportContext(images=static_pictures)
    can_pdf = pdf_available()
    for name, product in _products():
        skus = len(product.skus)
        goal = GOALS[45 if skus <= 45 else 1000]
        build = lambda: product_report(product, None, context)      # noqa: E731
        cold, html = _timed(build)
        warm = _best_of(3, build)
        print(f"report {name} ({skus} SKUs): HTML first call {cold:.2f} s, best of 3 "
              f"{warm:.2f} s = {warm / goal:.2f}x goal {goal:g} s; {len(html) / 1e3:.0f} kB "
              f"= {len(html) / SIZE_BUDGET:.2f}x budget {SIZE_BUDGET / 1e6:g} MB")
        if not can_pdf:
            print(f"report {name}: PDF skipped (Pango is not installed)")
            continue
        cold_pdf, pdf = _timed(lambda: to_pdf(html, paper))
        warm_pdf = _best_of(3, lambda: to_pdf(html, paper))
        total = warm + warm_pdf
        print(f"report {name} ({skus} SKUs): PDF ({paper}) first call {cold_pdf:.2f} s, "
              f"best of 3 {warm_pdf:.2f} s; HTML + PDF {total:.2f} s = {total / goal:.2f}x "
              f"goal {goal:g} s; {len(pdf) / 1e3:.0f} kB = {len(pdf) / SIZE_BUDGET:.2f}x "
              f"budget, {_pages(pdf)}")


if __name__ == "__main__":
    bench_report()
