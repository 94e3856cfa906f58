"""The batch page and lib.batch: rejected entries summed up once, duplicates reported,
failures with their reason, "Retry" only for what may succeed next time, one link column.

The mix of failures comes from the real client over the demo sandbox, behind a
transport that fails chosen products once (HTTP 503, HTTP 429, a dropped connection)."""
from __future__ import annotations

import io
import json
from urllib.parse import parse_qsl, urlsplit

import httpx
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from apptest_util import APP_FILE, finish_jobs, frame_with, run_app, share_links
from lib import batch, export
from lib.client import RetryPolicy, fetch_many
from lib.errors import NetworkError, ProductNotFound, RateLimited, UpstreamError
from lib.query import ProductQuery
from lib.sandbox import SandboxTransport

BACKPACK, CASE, BOTTLE = "1005006789012345", "1005004321098765", "1005005432109876"
MISSING = "1005000000000001"                       # the sandbox knows no such product
BAD_LINES = [f"not-an-id-{i}" for i in range(9)]


class FailOnce(httpx.BaseTransport):
    """The sandbox, except that each product in `modes` fails on its first call."""

    def __init__(self, modes: dict[str, str]) -> None:
        self.sandbox = SandboxTransport()
        self.modes = dict(modes)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        seen = str(request.url) + request.read().decode("utf-8", "replace")
        for product_id, mode in list(self.modes.items()):
            if product_id in seen:
                del self.modes[product_id]
                if mode == "drop":
                    raise httpx.ConnectError("connection reset", request=request)
                return httpx.Response(int(mode), json={"error": "try later"})
        return self.sandbox.handle_request(request)


@pytest.fixture
def flaky(monkeypatch):
    """The batch page's fetch through the real client over FailOnce, one attempt per call
    (no waiting); records which products each call asked for."""
    transport = FailOnce({CASE: "503", BOTTLE: "429", "1005007246813579": "drop"})
    calls: list[list[str]] = []

    def fetch(queries, credentials=None, on_progress=None, **options):
        calls.append([q.key for q in queries])
        return fetch_many(queries, transport=transport, policy=RetryPolicy(max_attempts=1),
                          on_progress=on_progress, **options)

    monkeypatch.setattr(batch, "fetch", fetch)
    return calls


# --- lib.batch ---------------------------------------------------------------------------
def test_read_refs_counts_duplicates_and_rejects_bad_entries():
    text = "\n".join([BACKPACK, f"https://www.aliexpress.com/item/{BACKPACK}.html",
                      f"aliexpress:{BACKPACK}", CASE, BACKPACK, *BAD_LINES])
    reading = batch.read_refs(text, "aliexpress")
    assert [q.key for q in reading.queries] == [f"aliexpress:{BACKPACK}", f"aliexpress:{CASE}"]
    assert [d.text for d in reading.duplicates] == [
        f"https://www.aliexpress.com/item/{BACKPACK}.html", f"aliexpress:{BACKPACK}", BACKPACK]
    assert {d.key for d in reading.duplicates} == {f"aliexpress:{BACKPACK}"}
    assert [p.text for p in reading.rejected] == BAD_LINES
    assert reading.summary() == "9 entries are not product ids or links · 3 duplicates skipped"
    skipped = reading.skipped_table()
    assert len(skipped) == 12
    assert skipped["Why skipped"].iloc[-1] == f"duplicate of aliexpress:{BACKPACK}"
    assert "not a product ID" in skipped["Why skipped"].iloc[0]


def test_failures_are_classified_by_the_real_client(flaky):
    queries = [ProductQuery("aliexpress", i) for i in (BACKPACK, CASE, BOTTLE, MISSING)]
    queries.append(ProductQuery("aliexpress-affiliate", "1005007246813579"))
    results = batch.fetch(queries)
    kinds = [type(r) for r in results]
    assert kinds[1:] == [UpstreamError, RateLimited, ProductNotFound, NetworkError]
    assert [batch.retryable(r) for r in results] == [False, True, True, False, True]
    assert [q.product_id for q in batch.to_retry(queries, results)] == [
        CASE, BOTTLE, "1005007246813579"]
    reading = batch.read_refs("banana")
    failures = batch.failures_table(queries, results, reading.rejected)
    assert failures["Retry possible"].tolist() == ["yes", "yes", "no", "yes", "no"]
    assert failures["Kind"].tolist() == ["marketplace error", "rate limited",
                                         "product not found", "network problem",
                                         "not a product id or link"]
    assert failures["Entered as"].iloc[-1] == "banana"
    assert "not a product ID" in failures["Problem"].iloc[-1]
    # the failures download carries the rejected entry and its reason, ids kept as text
    back = pd.read_csv(io.BytesIO(export.csv_bytes(failures)), encoding="utf-8-sig",
                       dtype=str, keep_default_na=False)
    assert back["Entered as"].iloc[-1] == "banana"
    assert back["Product id"].iloc[0] == f"\t{CASE}"


def test_results_table_has_a_link_and_each_column_once():
    queries = [ProductQuery("aliexpress", BACKPACK), ProductQuery("tuya", "CMsmartplug01")]
    results = fetch_many(queries)
    rows = batch.results_table(queries, results)
    assert rows.columns.is_unique
    assert list(rows.columns[:3]) == ["Platform", "Product id", "Link"]
    assert "Image" not in rows and "Unit price at 1" not in rows
    assert [c.lower() for c in rows.columns].count("platform") == 1
    assert rows["Link"].iloc[0] == f"https://www.aliexpress.com/item/{BACKPACK}.html"
    assert pd.isna(rows["Link"].iloc[1])           # Tuya sends no product page
    assert rows["Product id"].tolist() == [BACKPACK, "CMsmartplug01"]


# --- the page ----------------------------------------------------------------------------
def _fetch_button(at):
    (button,) = [b for b in at.button if b.label.startswith("Fetch")]
    return button


def test_nine_bad_lines_make_one_summary_and_the_fetch_button_stays(flaky):
    at = run_app("views/batch.py")
    lines = [BACKPACK, *BAD_LINES, f"https://www.aliexpress.com/item/{BACKPACK}.html",
             f"aliexpress:{BACKPACK}", BACKPACK, CASE]
    at.text_area(key="batch-text").input("\n".join(lines)).run()
    assert not at.exception
    assert not at.warning                              # no warning per line
    summaries = [e for e in at.expander if "not product ids" in e.label]
    assert [e.label for e in summaries] == [
        "9 entries are not product ids or links · 3 duplicates skipped"]
    skipped = summaries[0].dataframe[0].value
    assert skipped["Entered as"].tolist()[:9] == BAD_LINES
    assert _fetch_button(at).label == "Fetch 2 product(s)"


def test_failures_table_and_retry_only_what_may_succeed(flaky):
    at = run_app("views/batch.py")
    lines = [BACKPACK, CASE, BOTTLE, MISSING, *BAD_LINES, BACKPACK]
    at.text_area(key="batch-text").input("\n".join(lines)).run()
    _fetch_button(at).click().run()
    finish_jobs(at)
    assert not at.exception
    assert flaky == [[f"aliexpress:{i}" for i in (BACKPACK, CASE, BOTTLE, MISSING)]]
    assert any("1 fetched · 3 failed** of 4 · 9 entries are not product ids or links · "
               "1 duplicate skipped" in m.value for m in at.markdown)
    failures, results = frame_with(at, "Problem"), frame_with(at, "Link")
    assert failures["Product id"].tolist()[:3] == [CASE, BOTTLE, MISSING]
    assert failures["Retry possible"].tolist()[:3] == ["yes", "yes", "no"]
    assert failures["Entered as"].tolist()[3:] == BAD_LINES
    assert set(failures["Kind"].iloc[3:]) == {"not a product id or link"}
    assert all("not a product ID" in p for p in failures["Problem"].iloc[3:])
    assert results["Product id"].tolist() == [BACKPACK]

    (retry,) = [b for b in at.button if b.label.startswith("Retry")]
    assert retry.label == "Retry 2 failed"
    retry.click().run()
    finish_jobs(at)
    assert not at.exception
    assert flaky[1] == [f"aliexpress:{CASE}", f"aliexpress:{BOTTLE}"]   # not the missing one
    failures, results = frame_with(at, "Problem"), frame_with(at, "Link")
    assert results["Product id"].tolist() == [BACKPACK, CASE, BOTTLE]      # first order kept
    assert failures["Product id"].tolist()[:1] == [MISSING]
    assert len(failures) == 1 + 9
    # nothing left worth retrying: no button, a sentence instead
    assert not [b for b in at.button if b.label.startswith("Retry")]
    assert any("Trying again will not help" in c.value for c in at.caption)


def test_results_have_a_link_column_and_no_column_twice():
    at = run_app("views/batch.py")
    at.text_area(key="batch-text").input(f"{BACKPACK}\n{CASE}").run()
    _fetch_button(at).click().run()
    finish_jobs(at)
    assert not at.exception
    (shown,) = [f for f in at.dataframe if "Link" in f.value.columns]
    table = shown.value
    assert table.columns.is_unique
    assert [c.lower() for c in table.columns].count("platform") == 1
    assert table["Link"].tolist() == [f"https://www.aliexpress.com/item/{i}.html"
                                      for i in (BACKPACK, CASE)]
    config = json.loads(shown.proto.columns)
    (link,) = [v for k, v in config.items() if k.endswith("Link")]
    assert link["type_config"]["type"] == "link"
    assert link["type_config"]["display_text"] == "Open product"
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Excel") == 1 and "Download results (CSV)" in labels


def test_bare_id_platform_is_kept_in_the_share_link():
    at = run_app("views/batch.py")
    at.selectbox(key="batch-platform").set_value("tuya").run()
    link, _pinned = share_links(at)
    pairs = parse_qsl(urlsplit(link).query)
    assert ("batch-platform", "Tuya mall") in pairs       # Streamlit writes the shown label
    colleague = AppTest.from_file(str(APP_FILE), default_timeout=60)
    for key, value in pairs:
        colleague.query_params[key] = value
    colleague.run()
    colleague.switch_page("views/batch.py").run()
    assert not colleague.exception
    assert colleague.selectbox(key="batch-platform").value == "tuya"
    reading = batch.read_refs("CMsmartplug01", "tuya")
    assert [q.key for q in reading.queries] == ["tuya:CMsmartplug01"]


def test_counts_stay_whole_numbers_beside_gaps():
    """MOQ is sent by Alibaba only: the gaps of the other platforms must not turn 48 into
    48.0 in the results table and its downloads."""
    from lib import batch
    from lib.client import fetch_many
    from lib.sandbox import DEMO_PRODUCTS

    results = fetch_many(DEMO_PRODUCTS)
    rows, _ = batch.batch_table(results, DEMO_PRODUCTS)
    moq = dict(zip(rows["Product id"], rows["MOQ"]))
    mug = next(q.product_id for q in DEMO_PRODUCTS if q.platform == "alibaba")
    assert str(rows["MOQ"].dtype) == "Int64" and moq[mug] > 1
    assert export_csv_moq(rows, mug) == str(moq[mug])      # "48", never "48.0"


def export_csv_moq(rows, product_id: str) -> str:
    import csv
    import io

    from lib.export import csv_bytes

    reader = csv.DictReader(io.StringIO(csv_bytes(rows).decode("utf-8-sig")))
    (line,) = [r for r in reader if r["Product id"].strip() == product_id]
    return line["MOQ"]
