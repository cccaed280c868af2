// Formatting helpers. Money arrives as a decimal string with exactly 2 places ("1234.50"):
// it is added up as BigInt cents and shown from its digits, never through a float.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const intFormat = new Intl.NumberFormat("en-US");

/** "1234.50" -> 123450n (exact). */
export function cents(money) {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(money ?? "").trim());
  if (!m) throw new Error(`not a money value: ${money}`);
  const value = BigInt(m[2]) * 100n + BigInt((m[3] || "").padEnd(2, "0"));
  return m[1] ? -value : value;
}

/** 123450n -> "1234.50". */
export function fromCents(value) {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 100n;
  const frac = (abs % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}${whole}.${frac}`;
}

/** The exact sum of money strings. */
export function sumMoney(values) {
  return fromCents(values.reduce((acc, v) => acc + cents(v), 0n));
}

/** amount / count rounded half away from zero to the cent (null when count is 0). */
export function divideMoney(money, count) {
  if (!count) return null;
  const total = cents(money);
  const n = BigInt(count);
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const q = (abs * 2n + n) / (2n * n);
  return fromCents(negative ? -q : q);
}

/** "1234567.50" -> "1,234,567.50" (digits grouped, nothing rounded). */
export function money(value) {
  if (value === null || value === undefined) return "–";
  const [whole, frac = "00"] = String(value).split(".");
  const negative = whole.startsWith("-");
  const digits = negative ? whole.slice(1) : whole;
  return `${negative ? "-" : ""}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${frac.padEnd(2, "0")}`;
}

export function int(value) {
  return value === null || value === undefined ? "–" : intFormat.format(value);
}

/** A short label for chart axes (a float is fine here: it only places pixels). */
export function compact(value) {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}B`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(v) {
  return String(Number(v.toFixed(Math.abs(v) < 10 ? 2 : 1)));
}

/** "2025-07-01" -> Date at UTC midnight. */
export function parseDay(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

/** Date -> "2025-07-01" (UTC). */
export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export function addDays(day, n) {
  const d = parseDay(day);
  d.setUTCDate(d.getUTCDate() + n);
  return isoDay(d);
}

/** The first day of the month `n` months before (negative) or after the month of `day`. */
export function monthStart(day, n = 0) {
  const d = parseDay(day);
  return isoDay(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)));
}

/** The label of a period that starts on `day`. */
export function periodLabel(day, granularity, long = false) {
  const d = parseDay(day);
  const y = d.getUTCFullYear();
  const mon = MONTHS[d.getUTCMonth()];
  switch (granularity) {
    case "YEAR":
      return String(y);
    case "QUARTER":
      return `Q${Math.floor(d.getUTCMonth() / 3) + 1} ${y}`;
    case "MONTH":
      return `${mon} ${y}`;
    case "WEEK":
      return long ? `Week of ${mon} ${d.getUTCDate()}, ${y}` : `${mon} ${d.getUTCDate()}`;
    default:
      return long ? `${mon} ${d.getUTCDate()}, ${y}` : `${mon} ${d.getUTCDate()}`;
  }
}

/** "2026-01-02T03:04:05.678Z" -> "2026-01-02 03:04 UTC" (the API answers in UTC). */
export function dateTime(value) {
  if (!value) return "–";
  return `${value.slice(0, 10)} ${value.slice(11, 16)} UTC`;
}

export function day(value) {
  return value ? value.slice(0, 10) : "–";
}

/** Milliseconds between two ISO timestamps as "4.9 s", "3 min 12 s", "1 h 05 min". */
export function duration(startedAt, finishedAt) {
  if (!startedAt || !finishedAt) return "–";
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  if (!(ms >= 0)) return "–";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** Build an element: h("td", {class: "num"}, "12"). Text is always set as text, never as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
