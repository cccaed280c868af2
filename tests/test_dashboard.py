"""The dashboard (GET /dashboard) in a real headless browser against the sample delivery.

Debian's Chromium and its chromedriver drive the page through Selenium; the test is skipped
(not failed) where /usr/bin/chromium, /usr/bin/chromedriver or selenium is missing:

    apt-get install -y chromium chromium-driver && pip install selenium

It serves the real application on a free localhost port against a database loaded by the real
loader (data/sample, then a small dirty delivery so that rejects show), checks what the page shows
against SQL, that the page fetched nothing but its own server and that the console stayed free
of errors, and saves a full-page screenshot to build/test-artifacts/dashboard.png
(SHOPETL_TEST_ARTIFACTS overrides the folder; SHOPETL_UPDATE_SCREENSHOT=1 also writes
docs/img/dashboard.png, the picture the README shows).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from shopetl.config import Settings
from shopetl_graphql.app import DASHBOARD_DIR, create_app

from .conftest import ROOT
from .etl_helpers import query, run_load, write_delivery

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1440,1000", "--lang=en-US",
]
ARTIFACTS = Path(os.environ.get("SHOPETL_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
DOCS_SCREENSHOT = ROOT / "docs" / "img" / "dashboard.png"

needs_browser = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromedriver: apt-get install -y chromium chromium-driver",
)

#: A second delivery with a few bad rows (and one good customer), so the health panel has rejects.
DIRTY = {
    "customers": """
        1001,new.customer@example.com,Nora,New,,Zurich,ZH,8001,Switzerland,,2026-06-30 10:00:00,
        1002,no-at-sign.example.com,Bad,Email,,,,,,,2026-06-30 10:00:00,
        1003,,Missing,Email,,,,,,,2026-06-30 10:00:00,
    """,
    "orders": """
        9001,99999,2026-06-30 12:00:00,Pending,,,,,,,,,,
        9002,1001,2026-13-01 00:00:00,Pending,,,,,,,,,,
        9003,1001,2026-06-30 12:00:00,Lost,,,,,,,,,,
    """,
    "order_items": """
        90001,999999,1,1,10.00,,
    """,
}


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def serve(app: web.Application) -> Iterator[str]:
    """Run the application on a free localhost port in a thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="dashboard-server", daemon=True)
    thread.start()

    def call(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    runner = web.AppRunner(app)
    try:
        call(runner.setup())
        call(web.TCPSite(runner, "127.0.0.1", 0).start())
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        call(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def money(value: Decimal) -> str:
    """As the page shows money: digits grouped, exactly 2 places."""
    return f"{value:,.2f}"


def assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


# --- without a browser ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_dashboard_is_served_with_its_own_assets_only(db_url: str, aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(db_url, pool_min_size=1, pool_max_size=1))
    for path in ("/dashboard", "/dashboard/"):
        response = await client.get(path)
        assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    local = [a for a in assets(html) if not a.startswith(("data:", "/graphql"))]
    assert local and all(a.startswith("/dashboard/static/") for a in local), local
    # no CDN, no web fonts: no absolute URL in any of the page's files
    for path in DASHBOARD_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text.replace("http://www.w3.org/2000/svg", "")), path
        response = await client.get(f"/dashboard/static/{path.name}")
        assert response.status == 200 and await response.read() == path.read_bytes()
    js = (await client.get("/dashboard/static/dashboard.js")).content_type
    assert js in ("application/javascript", "text/javascript")  # module scripts need a JS type


# --- in Chromium ---------------------------------------------------------------------------------


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium: pip install selenium")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # an explicit driver path: Selenium Manager (which would download drivers) never runs
    browser = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def sample_db(settings: Settings, db_url: str, tmp_path: Path) -> str:
    """The sample delivery loaded by the real loader, then a small dirty delivery (run 2)."""
    first = run_load(settings, ROOT / "data" / "sample", threshold=0.05)
    assert first.status == "ok", first
    second = run_load(settings, write_delivery(tmp_path / "2026-07-01", DIRTY))
    assert second.status == "ok", second
    return db_url


@needs_browser
@pytest.mark.slow
def test_dashboard_in_chromium(driver: Any, sample_db: str) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()
    # the page redraws parts of itself: an element found a moment ago may be gone (stale)
    wait = WebDriverWait(driver, 30, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])

    def q(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return query(sample_db, sql, *params)

    def texts(css: str) -> list[str]:
        """The text of the matching elements as in the DOM (not as CSS shows it, e.g. uppercased)."""
        return [e.get_attribute("textContent").strip() for e in driver.find_elements(By.CSS_SELECTOR, css)]

    def svg() -> Any:
        return driver.find_element(By.CSS_SELECTOR, "#trend-chart svg")

    def drawn() -> tuple[str, str, int] | None:
        """(granularity, metric, number of point circles) of the chart, read in one go (it is redrawn)."""
        found = driver.execute_script(
            "const s = document.querySelector('#trend-chart svg');"
            "return s && [s.dataset.granularity, s.dataset.metric, s.querySelectorAll('circle.point').length];")
        return tuple(found) if found else None

    with serve(create_app(sample_db, pool_max_size=4)) as base:
        driver.get(f"{base}/dashboard")
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
        assert driver.title == "shopetl dashboard"

        # -- default range: the last 12 months with sales, figures exact to the cent ------------
        (last,) = q("select max(sales_date) from marts.daily_sales where orders > 0")[0]
        month = last.year * 12 + last.month - 1 - 11
        first = dt.date(month // 12, month % 12 + 1, 1)
        assert (str(first), str(last)) == ("2025-07-01", "2026-06-30")  # the sample's last year
        assert driver.find_element(By.ID, "from").get_attribute("value") == str(first)
        assert driver.find_element(By.ID, "to").get_attribute("value") == str(last)
        revenue, orders, units = q(
            "select sum(revenue), sum(orders)::int, sum(units)::int from marts.daily_sales"
            " where sales_date between %s and %s", first, last)[0]
        wait.until(lambda d: d.find_element(By.ID, "kpi-revenue").text == money(revenue))
        assert driver.find_element(By.ID, "kpi-orders").text == f"{orders:,}"
        assert driver.find_element(By.ID, "kpi-units").text == f"{units:,}"
        assert driver.find_element(By.ID, "kpi-aov").text == money((revenue / orders).quantize(Decimal("0.01"), ROUND_HALF_UP))

        # -- trend chart: one SVG point per month, re-drawn on a granularity switch ----------------
        chart = svg()
        assert drawn() == ("MONTH", "revenue", 12)
        assert chart.find_element(By.CSS_SELECTOR, "path.line").get_attribute("d").count("L") == 11
        weeks = ((last - dt.timedelta(days=last.weekday())) - (first - dt.timedelta(days=first.weekday()))).days // 7 + 1
        for granularity, points in (("WEEK", weeks), ("DAY", (last - first).days + 1), ("QUARTER", 4),
                                    ("YEAR", 2), ("MONTH", 12)):
            driver.find_element(By.CSS_SELECTOR, f'#granularity [data-granularity="{granularity}"]').click()
            wait.until(lambda d, g=granularity: (drawn() or (None,))[0] == g)
            assert drawn() == (granularity, "revenue", points)
        assert svg() != chart  # a new drawing, not the old one
        assert "granularity=MONTH" in driver.current_url
        driver.find_element(By.CSS_SELECTOR, '#metric [data-metric="orders"]').click()
        wait.until(lambda d: drawn() == ("MONTH", "orders", 12))
        driver.find_element(By.CSS_SELECTOR, '#metric [data-metric="revenue"]').click()
        wait.until(lambda d: drawn() == ("MONTH", "revenue", 12))

        # -- top products per root category, as the API function ranks them -------------------------
        (top,) = q("select api.top_products_by_category(null, %s, %s, 5)", first, last)[0]
        wait.until(lambda d: len(texts("tr.top-product .product-name")) == len(top))
        assert texts("tr.top-product .product-name") == [r["product"]["name"] for r in top]
        assert texts(".top-group h3") == [n for (n,) in q(
            "select name from core.product_categories where parent_id is null order by category_id")]

        # -- category breakdown: every category with its revenue for the range ---------------------
        rows = {int(e.get_attribute("data-category-id")): e for e in
                driver.find_elements(By.CSS_SELECTOR, "#category-breakdown tr.category")}
        categories = dict(q("select category_id, count(*) from core.product_categories group by 1"))
        assert set(rows) == set(categories)
        for category_id, category_revenue in q(
                "select category_id, sum(revenue) from marts.daily_category_sales"
                " where sales_date between %s and %s group by 1", first, last):
            assert rows[category_id].find_element(By.CSS_SELECTOR, "td.money").text == money(category_revenue)

        # -- customer lookup with purchase history ---------------------------------------------------
        customer_id, order_count = q(
            "select c.customer_id, count(*)::int from core.orders as c group by 1"
            " having count(*) > 10 order by count(*) desc, 1 limit 1")[0]
        latest = q("select order_id, (select count(*)::int from core.order_items as i where i.order_id = o.order_id)"
                   " from core.orders as o where customer_id = %s order by order_date desc, order_id limit 1",
                   customer_id)[0]
        box = driver.find_element(By.ID, "customer-id")
        box.clear()
        box.send_keys(str(customer_id))
        driver.find_element(By.ID, "customer-go").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#customer-result tr.order")) == 10)
        assert driver.find_element(By.CSS_SELECTOR, ".customer-head").get_attribute("data-customer-id") == str(customer_id)
        first_order = driver.find_element(By.CSS_SELECTOR, "#customer-result tr.order")
        assert first_order.get_attribute("data-order-id") == str(latest[0])
        first_order.find_element(By.TAG_NAME, "summary").click()
        assert len(first_order.find_elements(By.CSS_SELECTOR, "tr.item")) == latest[1]
        assert all(t for t in texts("#customer-result tr.item td:first-child"))
        driver.find_element(By.ID, "more-orders").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#customer-result tr.order")) == min(20, order_count))
        assert f"of {order_count} orders" in driver.find_element(By.CSS_SELECTOR, "#customer-result .more").text
        box.clear()
        box.send_keys("99999")
        driver.find_element(By.ID, "customer-go").click()
        wait.until(lambda d: "No customer with id 99999." in d.find_element(By.ID, "customer-result").text)

        # -- pipeline health: both runs, rejects by reason, the latest check results -----------------
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#runs tr.run")) == 2)
        runs = [(e.get_attribute("data-run-id"), e.get_attribute("data-status"))
                for e in driver.find_elements(By.CSS_SELECTOR, "#runs tr.run")]
        assert runs == [("2", "OK"), ("1", "OK")]
        assert "sample" in texts("#runs tr.run")[1] and "26,110" in texts("#runs tr.run")[1]
        shown = {e.get_attribute("data-reason"): e.find_element(By.CSS_SELECTOR, "td.num").text
                 for e in driver.find_elements(By.CSS_SELECTOR, "#rejects tr.reject")}
        assert shown == {reason: str(n) for reason, n in q("select reason, count(*) from etl.rejects group by 1")}
        assert set(shown) == {"bad_value", "missing_required", "bad_type", "orphan"}
        checks = q("select check_name, upper(status) from etl.latest_check_results")
        assert sorted((e.get_attribute("data-check"), e.get_attribute("data-status"))
                      for e in driver.find_elements(By.CSS_SELECTOR, "#checks tr.check")) == sorted(checks)
        assert "Last run #2" in driver.find_element(By.ID, "health-summary").text

        # -- the screenshot: the default view with a customer's history --------------------------------
        driver.get(f"{base}/dashboard?customer={customer_id}")
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#customer-result tr.order")) == 10)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#checks tr.check")) == len(checks))
        # the whole page in the viewport (the window's height includes its own bars)
        height, bars = driver.execute_script(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]")
        driver.set_window_size(1440, height + bars)
        wait.until(lambda d: d.execute_script(
            "return window.innerHeight >= document.documentElement.scrollHeight"))
        wait.until(lambda d: d.execute_script(
            "const c = document.getElementById('trend-chart'), s = c.querySelector('svg');"
            "return s !== null && Math.abs(s.width.baseVal.value - c.clientWidth) < 2"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "dashboard.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 50_000
        if os.environ.get("SHOPETL_UPDATE_SCREENSHOT") == "1":
            DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, DOCS_SCREENSHOT)

        # -- the page fetched only from its own server, and logged no error ---------------------------
        requested = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])
        # (the browser's own chrome:// pages aside, every request went to the server under test)
        network = [u for u in requested if u.split(":", 1)[0] in ("http", "https", "ws", "wss")]
        assert f"{base}/dashboard" in network and f"{base}/graphql" in network, network
        assert all(u.startswith(base + "/") for u in network), network
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
    print(f"dashboard browser checks took {time.monotonic() - started:.1f} s")


@needs_browser
def test_dashboard_on_an_empty_database(driver: Any, db_url: str) -> None:
    """Before the first load: zeros and explanations, no error."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30, poll_frequency=0.1)
    with serve(create_app(db_url, pool_max_size=2)) as base:
        driver.get(f"{base}/dashboard")
        wait.until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
        assert driver.find_element(By.ID, "kpi-revenue").text == "0.00"
        assert driver.find_element(By.ID, "kpi-aov").text == "–"
        assert driver.execute_script("return document.querySelectorAll('#trend-chart circle.point').length") == 12
        assert driver.find_element(By.ID, "category-breakdown").text == "No categories yet."
        assert driver.find_element(By.ID, "top-products").text == "No sales in this range."
        wait.until(lambda d: "No runs recorded" in d.find_element(By.ID, "runs").text)
        assert "No check has run yet" in driver.find_element(By.ID, "checks").text
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
