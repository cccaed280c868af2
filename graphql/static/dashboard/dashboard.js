// The dashboard: every figure is read from POST /graphql (see api.js); nothing is computed
// from floats except pixel positions and percentages of bars.

import { categoryRevenue, gql, QUERIES } from "./api.js";
import { drawTrend } from "./chart.js";
import {
  cents, dateTime, day, divideMoney, duration, fromCents, h, int, isoDay, monthStart, money, sumMoney,
} from "./format.js";

const GRANULARITIES = ["DAY", "WEEK", "MONTH", "QUARTER", "YEAR"];
const $ = (id) => document.getElementById(id);

const state = {
  from: null,
  to: null,
  granularity: "MONTH",
  metric: "revenue",
  trend: [],
  categories: [],
  extent: null,
  customer: null,
  seq: { range: 0, trend: 0, top: 0, customer: 0 },
};

// --- small UI helpers -----------------------------------------------------------------------

function message(container, text, cls = "muted") {
  container.replaceChildren(h("p", { class: cls }, text));
}

function failed(container, error, what) {
  console.error(`dashboard: ${what} failed:`, error);
  message(container, `Could not load ${what}: ${error.message}`, "error");
}

function busy(container) {
  container.classList.add("loading");
  return () => container.classList.remove("loading");
}

function badge(text, kind) {
  return h("span", { class: `badge ${kind}` }, text);
}

function bar(fraction, cls = "") {
  const pct = Math.max(0, Math.min(100, fraction * 100));
  return h("div", { class: `bar ${cls}` }, h("span", { style: `width: ${pct.toFixed(1)}%` }));
}

/** a / b as a fraction for bars and percentages (BigInt cents in, a float out). */
function share(a, b) {
  return b > 0n ? Number((a * 100000n) / b) / 100000 : 0;
}

function categoryName(id) {
  const c = state.categories.find((x) => x.categoryId === id);
  return c ? c.name : `Category ${id}`;
}

// --- the date range -------------------------------------------------------------------------

/** First and last day with counted sales (two small salesTrends calls), or null without sales. */
async function dataExtent() {
  const thisYear = new Date().getUTCFullYear();
  const years = (await gql(QUERIES.years, { from: "2000-01-01", to: `${thisYear + 5}-12-31` }))
    .salesTrends.filter((p) => p.orders > 0);
  if (!years.length) return null;
  const lastYear = years[years.length - 1].periodStart.slice(0, 4);
  const days = (await gql(QUERIES.days, { from: `${lastYear}-01-01`, to: `${lastYear}-12-31` }))
    .salesTrends.filter((p) => p.orders > 0);
  return { first: years[0].periodStart, last: days[days.length - 1].periodStart };
}

function defaultRange() {
  const last = state.extent ? state.extent.last : isoDay(new Date());
  return { from: monthStart(last, -11), to: last };
}

function setRange(from, to) {
  state.from = from;
  state.to = to;
  $("from").value = from;
  $("to").value = to;
}

function saveInUrl() {
  const params = new URLSearchParams({ from: state.from, to: state.to, granularity: state.granularity });
  if (state.customer) params.set("customer", state.customer);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function validRange(from, to) {
  const error = $("range-error");
  let problem = null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from || "") || !/^\d{4}-\d{2}-\d{2}$/.test(to || "")) problem = "Pick both dates.";
  else if (from > to) problem = `From (${from}) is after To (${to}).`;
  error.hidden = !problem;
  error.textContent = problem || "";
  return !problem;
}

async function loadRange() {
  if (!validRange(state.from, state.to)) return;
  saveInUrl();
  state.seq.range += 1;
  await Promise.all([loadTrend(), loadCategoryBreakdown(state.seq.range), loadTopProducts()]);
}

// --- trend and KPIs ---------------------------------------------------------------------------

function setActive(groupId, attr, value) {
  for (const b of $(groupId).querySelectorAll("button")) {
    const on = b.dataset[attr] === value;
    b.classList.toggle("active", on);
    b.setAttribute("aria-pressed", String(on));
  }
}

function renderKpis(points) {
  const revenue = sumMoney(points.map((p) => p.revenue));
  const orders = points.reduce((a, p) => a + p.orders, 0);
  const units = points.reduce((a, p) => a + p.units, 0);
  $("kpi-revenue").textContent = money(revenue);
  $("kpi-orders").textContent = int(orders);
  $("kpi-units").textContent = int(units);
  $("kpi-aov").textContent = money(divideMoney(revenue, orders));
  $("kpis").dataset.revenue = revenue;
}

function renderTrend() {
  drawTrend($("trend-chart"), state.trend, {
    granularity: state.granularity, metric: state.metric, tooltip: $("tooltip"),
  });
}

async function loadTrend() {
  const seq = ++state.seq.trend;
  const container = $("trend-chart");
  const done = busy(container);
  setActive("granularity", "granularity", state.granularity);
  try {
    const data = await gql(QUERIES.trend, { from: state.from, to: state.to, granularity: state.granularity });
    if (seq !== state.seq.trend) return;
    state.trend = data.salesTrends;
    renderKpis(state.trend);
    renderTrend();
  } catch (error) {
    if (seq === state.seq.trend) failed(container, error, "the sales trend");
  } finally {
    if (seq === state.seq.trend) done();
  }
}

// --- category breakdown -----------------------------------------------------------------------

/** Every category when there are few, else the top two levels (one salesTrends call each). */
function breakdownCategories() {
  return state.categories.length <= 30 ? state.categories : state.categories.filter((c) => c.depth <= 1);
}

async function loadCategoryBreakdown(seq) {
  const container = $("category-breakdown");
  const done = busy(container);
  try {
    const shown = breakdownCategories();
    if (!shown.length) {
      message(container, "No categories yet.");
      return;
    }
    const revenue = await categoryRevenue(shown.map((c) => c.categoryId), state.from, state.to);
    if (seq !== state.seq.range) return;
    const totals = new Map(shown.map((c) => [c.categoryId, {
      cents: revenue.get(c.categoryId).reduce((a, p) => a + cents(p.revenue), 0n),
      orders: revenue.get(c.categoryId).reduce((a, p) => a + p.orders, 0),
    }]));
    const byRevenue = (a, b) => {
      const d = totals.get(b.categoryId).cents - totals.get(a.categoryId).cents;
      return d > 0n ? 1 : d < 0n ? -1 : a.name.localeCompare(b.name);
    };
    const rows = [];
    // a category's share is of its parent's revenue (a root's of all roots' revenue)
    const addLevel = (parent, parentCents, of) => {
      for (const c of shown.filter((x) => x.parentId === parent).sort(byRevenue)) {
        const t = totals.get(c.categoryId);
        rows.push(categoryRow(c, t, share(t.cents, parentCents), of));
        addLevel(c.categoryId, t.cents, `of ${c.name}`);
      }
    };
    const roots = shown.filter((c) => c.parentId === null);
    addLevel(null, roots.reduce((a, c) => a + totals.get(c.categoryId).cents, 0n), "of all sales");
    container.replaceChildren(h("table", { class: "categories" },
      h("thead", {}, h("tr", {}, h("th", {}, "Category"), h("th", { class: "bar-col" }, "Share of parent"),
        h("th", { class: "num" }, "Orders"), h("th", { class: "num" }, "Revenue"))),
      h("tbody", {}, rows)));
  } catch (error) {
    if (seq === state.seq.range) failed(container, error, "the category breakdown");
  } finally {
    done();
  }
}

function categoryRow(category, totals, fraction, of) {
  const pct = `${(fraction * 100).toFixed(1)}%`;
  return h("tr", { class: `category depth-${Math.min(category.depth, 2)}`, dataset: { categoryId: category.categoryId } },
    h("td", { class: "name", style: `padding-left: ${8 + 18 * category.depth}px` }, category.name),
    h("td", { class: "bar-col", title: `${pct} ${of}` }, bar(fraction, category.depth ? "child" : ""),
      h("span", { class: "pct" }, pct)),
    h("td", { class: "num" }, int(totals.orders)),
    h("td", { class: "num money" }, money(fromCents(totals.cents))));
}

// --- top products -----------------------------------------------------------------------------

async function loadTopProducts() {
  const seq = ++state.seq.top;
  const container = $("top-products");
  const done = busy(container);
  const selected = $("top-category").value;
  const categoryId = selected === "" ? null : Number(selected);
  try {
    const data = await gql(QUERIES.topProducts, { categoryId, from: state.from, to: state.to, first: 5 });
    if (seq !== state.seq.top) return;
    const groups = new Map();
    for (const row of data.topProductsByCategory) {
      if (!groups.has(row.categoryId)) groups.set(row.categoryId, []);
      groups.get(row.categoryId).push(row);
    }
    if (!groups.size) {
      message(container, "No sales in this range.");
      return;
    }
    const blocks = [];
    for (const [id, rows] of groups) {
      blocks.push(h("div", { class: "top-group" },
        h("h3", {}, categoryName(id)),
        h("table", { class: "top" },
          h("thead", {}, h("tr", {}, h("th", { class: "num" }, "#"), h("th", {}, "Product"),
            h("th", { class: "num" }, "Units"), h("th", { class: "num" }, "Revenue"))),
          h("tbody", {}, rows.map((r) => h("tr", { class: "top-product", dataset: { productId: r.product.productId } },
            h("td", { class: "num rank" }, r.rank),
            h("td", {}, h("span", { class: "product-name" }, r.product.name), " ", h("span", { class: "sku" }, r.product.sku)),
            h("td", { class: "num" }, int(r.units)),
            h("td", { class: "num money" }, money(r.revenue))))))));
    }
    container.replaceChildren(...blocks);
  } catch (error) {
    if (seq === state.seq.top) failed(container, error, "the top products");
  } finally {
    if (seq === state.seq.top) done();
  }
}

function fillCategorySelect() {
  const select = $("top-category");
  for (const c of state.categories) {
    select.append(h("option", { value: c.categoryId }, `${"\u2003".repeat(c.depth)}${c.name}`));
  }
}

// --- customers --------------------------------------------------------------------------------

async function loadTopCustomers() {
  const container = $("top-customers");
  try {
    const data = await gql(QUERIES.topCustomers);
    const nodes = data.customers.nodes.filter((c) => c.lifetimeValue !== "0.00");
    if (!nodes.length) return;
    container.replaceChildren(h("span", { class: "muted" }, "Best customers:"),
      ...nodes.map((c) => h("button", {
        type: "button", class: "chip", dataset: { customerId: c.customerId },
        onclick: () => lookUp(c.customerId),
      }, `#${c.customerId} ${[c.firstName, c.lastName].filter(Boolean).join(" ")}`.trim(),
      h("span", { class: "chip-value" }, money(c.lifetimeValue)))));
  } catch (error) {
    failed(container, error, "the best customers");
  }
}

function lookUp(id) {
  $("customer-id").value = id;
  loadCustomer(Number(id));
}

async function loadCustomer(id, after = null) {
  const container = $("customer-result");
  if (!Number.isInteger(id) || id < 1 || id > 2147483647) {
    message(container, "A customer id is a whole number from 1.", "error");
    return;
  }
  const seq = ++state.seq.customer;
  const done = busy(container);
  try {
    const data = await gql(QUERIES.customer, { id, after });
    if (seq !== state.seq.customer) return;
    const c = data.customer;
    state.customer = c ? id : null;
    saveInUrl();
    if (!c) {
      message(container, `No customer with id ${id}.`);
      return;
    }
    if (after) {
      const list = container.querySelector("tbody.orders");
      list.append(...c.orders.nodes.map(orderRow));
      updateMore(container, c, id);
      return;
    }
    renderCustomer(container, c, id);
  } catch (error) {
    if (seq === state.seq.customer) failed(container, error, `customer ${id}`);
  } finally {
    if (seq === state.seq.customer) done();
  }
}

function renderCustomer(container, c, id) {
  const name = [c.firstName, c.lastName].filter(Boolean).join(" ") || "(no name)";
  const place = [c.city, c.state, c.country].filter(Boolean).join(", ");
  const facts = [
    ["Lifetime value", money(c.lifetimeValue)],
    ["Counted orders", int(c.orderCount)],
    ["Average order", money(c.averageOrderValue)],
    ["First order", day(c.firstOrderAt)],
    ["Last order", day(c.lastOrderAt)],
    ["Registered", day(c.registrationDate)],
  ];
  container.replaceChildren(
    h("div", { class: "customer-head", dataset: { customerId: c.customerId } },
      h("div", {}, h("div", { class: "customer-name" }, `${name} `, h("span", { class: "muted" }, `#${c.customerId}`)),
        h("div", { class: "muted" }, [c.email, place].filter(Boolean).join(" · "))),
      h("dl", { class: "facts" }, facts.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))))),
    h("table", { class: "orders-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Order"), h("th", {}, "Date (UTC)"), h("th", {}, "Status"),
        h("th", {}, "Payment"), h("th", {}, "Ship to"), h("th", {}, "Items"), h("th", { class: "num" }, "Revenue"))),
      h("tbody", { class: "orders" }, c.orders.nodes.map(orderRow))),
    h("div", { class: "more" }),
  );
  if (!c.orders.nodes.length) container.querySelector("tbody.orders").append(
    h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No orders.")));
  updateMore(container, c, id);
}

function updateMore(container, c, id) {
  const shown = container.querySelectorAll("tr.order").length;
  const more = container.querySelector(".more");
  more.replaceChildren(h("span", { class: "muted" }, `${int(shown)} of ${int(c.orders.totalCount)} orders`));
  if (c.orders.pageInfo.hasNextPage) {
    more.append(h("button", {
      type: "button", class: "secondary", id: "more-orders",
      onclick: () => loadCustomer(id, c.orders.pageInfo.endCursor),
    }, "Show more"));
  }
}

const STATUS_KIND = {
  DELIVERED: "ok", SHIPPED: "info", IN_TRANSIT: "info", PROCESSING: "info", PENDING: "warn",
  CANCELLED: "muted", RETURNED: "muted",
};

function orderRow(o) {
  const items = h("details", {},
    h("summary", {}, `${o.items.length} item${o.items.length === 1 ? "" : "s"}`),
    h("table", { class: "items" },
      h("thead", {}, h("tr", {}, h("th", {}, "Product"), h("th", { class: "num" }, "Qty"),
        h("th", { class: "num" }, "Price"), h("th", { class: "num" }, "Discount"), h("th", { class: "num" }, "Revenue"))),
      h("tbody", {}, o.items.map((i) => h("tr", { class: "item" },
        h("td", {}, i.product.name, " ", h("span", { class: "sku" }, i.product.sku)),
        h("td", { class: "num" }, int(i.quantity)),
        h("td", { class: "num money" }, money(i.price)),
        h("td", { class: "num money" }, money(i.discount)),
        h("td", { class: "num money" }, money(i.revenue)))))));
  const status = o.status.replace("_", " ").toLowerCase();
  return h("tr", { class: `order${o.countsInSales ? "" : " not-counted"}`, dataset: { orderId: o.orderId } },
    h("td", {}, `#${o.orderId}`),
    h("td", {}, dateTime(o.orderDate).replace(" UTC", "")),
    h("td", {}, badge(status, STATUS_KIND[o.status] || "info"),
      o.countsInSales ? null : h("span", { class: "muted small", title: "Cancelled and returned orders are not counted in sales" }, " not counted")),
    h("td", {}, o.paymentMethod || "–"),
    h("td", {}, [o.shippingCity, o.shippingCountry].filter(Boolean).join(", ") || "–"),
    h("td", {}, items),
    h("td", { class: "num money" }, money(o.revenue)));
}

// --- pipeline health --------------------------------------------------------------------------

const RUN_KIND = { OK: "ok", RUNNING: "info", FAILED: "bad", REFUSED: "bad" };
const CHECK_KIND = { PASS: "ok", FAIL: "bad", ERROR: "bad" };

function folderName(folder) {
  const parts = folder.replace(/\/+$/, "").split("/");
  return parts[parts.length - 1] || folder;
}

async function loadHealth() {
  const parts = ["health-summary", "runs", "rejects", "checks"].map($);
  const done = busy($("health-card"));
  try {
    const data = await gql(QUERIES.health);
    renderRuns(data.pipelineRuns);
    renderRejects(data.pipelineRuns);
    renderChecks(data.checkResults);
    renderHealthSummary(data.pipelineRuns, data.checkResults);
  } catch (error) {
    for (const p of parts) p.replaceChildren();
    failed($("runs"), error, "the pipeline health");
  } finally {
    done();
  }
}

function renderHealthSummary(runs, checks) {
  const pills = [];
  const last = runs[0];
  if (last) {
    pills.push(h("div", { class: "pill" }, "Last run ", h("strong", {}, `#${last.runId}`), " ",
      badge(last.status.toLowerCase(), RUN_KIND[last.status]), " ",
      last.finishedAt ? `finished ${dateTime(last.finishedAt)}` : `started ${dateTime(last.startedAt)}`));
  } else {
    pills.push(h("div", { class: "pill" }, "No load has run yet."));
  }
  const count = (status) => checks.filter((c) => c.status === status).length;
  const failing = checks.filter((c) => c.needsAttention);
  const warningsOnly = failing.length > 0 && failing.every((c) => c.severity === "WARN");
  const kind = (status) => (!count(status) ? "muted" : warningsOnly ? "warn" : "bad");
  pills.push(h("div", { class: "pill" }, h("strong", {}, int(checks.length)), " checks: ",
    badge(`${count("PASS")} pass`, "ok"), " ", badge(`${count("FAIL")} fail`, kind("FAIL")), " ",
    badge(`${count("ERROR")} error`, kind("ERROR")),
    warningsOnly ? h("span", { class: "muted" }, " (warnings only)") : null));
  $("health-summary").replaceChildren(h("div", { class: "pills" }, pills));
}

function renderRuns(runs) {
  if (!runs.length) {
    message($("runs"), "No runs recorded (run `shopetl load <folder>`).");
    return;
  }
  $("runs").replaceChildren(h("table", { class: "runs" },
    h("thead", {}, h("tr", {}, h("th", {}, "Run"), h("th", {}, "Status"), h("th", {}, "Folder"),
      h("th", {}, "Started (UTC)"), h("th", { class: "num" }, "Took"), h("th", { class: "num" }, "Rows"),
      h("th", { class: "num" }, "Rejected"))),
    h("tbody", {}, runs.map((r) => h("tr", { class: "run", dataset: { runId: r.runId, status: r.status } },
      h("td", {}, `#${r.runId}`),
      h("td", {}, badge(r.status.toLowerCase(), RUN_KIND[r.status] || "info"),
        r.error ? h("div", { class: "run-error", title: r.error }, r.error) : null),
      h("td", { title: r.folder }, folderName(r.folder), r.isFullLoad ? h("span", { class: "muted small" }, " first load") : null),
      h("td", {}, dateTime(r.startedAt).replace(" UTC", "")),
      h("td", { class: "num" }, duration(r.startedAt, r.finishedAt)),
      h("td", { class: "num", title: r.files.map((f) => `${f.fileName}: ${int(f.stagedRows)}`).join("\n") }, int(r.stagedRows)),
      h("td", { class: `num${r.rejectedRows ? " warn-text" : ""}` }, int(r.rejectedRows)))))));
}

function renderRejects(runs) {
  const byReason = new Map();
  for (const run of runs) {
    for (const r of run.rejects) {
      const entry = byReason.get(r.reason) || { rows: 0, files: new Map() };
      entry.rows += r.rows;
      entry.files.set(r.fileKey, (entry.files.get(r.fileKey) || 0) + r.rows);
      byReason.set(r.reason, entry);
    }
  }
  if (!byReason.size) {
    message($("rejects"), `No rejected rows in the last ${runs.length} run${runs.length === 1 ? "" : "s"}.`);
    return;
  }
  const sorted = [...byReason].sort((a, b) => b[1].rows - a[1].rows || a[0].localeCompare(b[0]));
  const max = sorted[0][1].rows;
  $("rejects").replaceChildren(
    h("table", { class: "rejects" }, h("tbody", {}, sorted.map(([reason, e]) => h("tr", { class: "reject", dataset: { reason } },
      h("td", { class: "reason" }, reason),
      h("td", { class: "bar-col" }, bar(e.rows / max, "warn")),
      h("td", { class: "num" }, int(e.rows)),
      h("td", { class: "muted small" }, [...e.files].map(([f, n]) => `${f} ${int(n)}`).join(" · ")))))),
    h("p", { class: "note" }, `Over the last ${runs.length} runs; each rejected row is kept in etl.rejects with its line and raw text.`));
}

function renderChecks(checks) {
  if (!checks.length) {
    message($("checks"), "No check has run yet (run `shopetl check`).");
    return;
  }
  $("checks").replaceChildren(h("table", { class: "checks" },
    h("thead", {}, h("tr", {}, h("th", {}, "Status"), h("th", {}, "Check"), h("th", {}, "Severity"),
      h("th", {}, "Scope"), h("th", { class: "num" }, "Rows"), h("th", {}, "Run"), h("th", {}, "Checked (UTC)"))),
    h("tbody", {}, checks.map((c) => h("tr", {
      class: `check${c.needsAttention ? " attention" : ""}`, dataset: { check: c.checkName, status: c.status },
    },
    h("td", {}, badge(c.status.toLowerCase(), c.status === "FAIL" && c.severity === "WARN" ? "warn" : CHECK_KIND[c.status])),
    h("td", { title: c.error || "" }, c.checkName.replaceAll("_", " ")),
    h("td", {}, c.severity.toLowerCase()),
    h("td", {}, c.scope.toLowerCase()),
    h("td", { class: "num" }, c.violatingRows === null ? "–" : int(c.violatingRows)),
    h("td", {}, c.runId === null ? "on demand" : `#${c.runId}`),
    h("td", { class: "nowrap" }, dateTime(c.checkedAt).replace(" UTC", "")))))));
}

// --- start ------------------------------------------------------------------------------------

function wire() {
  $("range-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const from = $("from").value;
    const to = $("to").value;
    if (!validRange(from, to)) return;
    setRange(from, to);
    loadRange();
  });
  $("reset-range").addEventListener("click", () => {
    const r = defaultRange();
    setRange(r.from, r.to);
    loadRange();
  });
  $("granularity").addEventListener("click", (event) => {
    const g = event.target.closest("button")?.dataset.granularity;
    if (!g || g === state.granularity) return;
    state.granularity = g;
    saveInUrl();
    loadTrend();
  });
  $("metric").addEventListener("click", (event) => {
    const m = event.target.closest("button")?.dataset.metric;
    if (!m || m === state.metric) return;
    state.metric = m;
    setActive("metric", "metric", m);
    renderTrend();
  });
  $("top-category").addEventListener("change", loadTopProducts);
  $("customer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadCustomer(Number($("customer-id").value));
  });
  $("health-refresh").addEventListener("click", loadHealth);
  let resize = null;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => state.trend.length && renderTrend(), 150);
  });
}

async function start() {
  wire();
  loadHealth();
  loadTopCustomers();
  const params = new URLSearchParams(location.search);
  if (GRANULARITIES.includes(params.get("granularity"))) state.granularity = params.get("granularity");
  setActive("granularity", "granularity", state.granularity);
  try {
    const [categories, extent] = await Promise.all([gql(QUERIES.categories), dataExtent()]);
    state.categories = categories.categories;
    state.extent = extent;
  } catch (error) {
    failed($("trend-chart"), error, "the data range");
    return;
  }
  fillCategorySelect();
  if (state.extent) {
    $("from").min = $("to").min = state.extent.first;
  }
  const fallback = defaultRange();
  const from = params.get("from") || fallback.from;
  const to = params.get("to") || fallback.to;
  setRange(from, to);
  const customer = Number(params.get("customer"));
  if (Number.isInteger(customer) && customer > 0) lookUp(customer);
  await loadRange();
  document.body.dataset.ready = "true";
}

start();
