// The sales trend as an SVG line chart drawn here (no chart library): area, line, one circle
// per point, axes with round ticks, and a tooltip that follows the pointer.

import { compact, int, money, periodLabel } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const MARGIN = { top: 16, right: 20, bottom: 34, left: 64 };

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Round ticks from 0 to at least `max`: [0, step, 2*step, ...]. */
function ticks(max, count = 5) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((v) => v >= raw);
  const out = [];
  for (let v = 0; v < max + step; v += step) {
    out.push(v);
    if (v >= max) break;
  }
  return out;
}

const METRICS = {
  revenue: { label: "Revenue", value: (p) => Number(p.revenue), text: (p) => money(p.revenue) },
  orders: { label: "Orders", value: (p) => p.orders, text: (p) => int(p.orders) },
  units: { label: "Units", value: (p) => p.units, text: (p) => int(p.units) },
};

/**
 * Draw `points` (salesTrends rows) into `container`.
 * The svg carries data-granularity, data-metric and data-points for tests and styling.
 */
export function drawTrend(container, points, { granularity, metric = "revenue", tooltip }) {
  const m = METRICS[metric];
  container.replaceChildren();
  if (!points.length) {
    container.append(Object.assign(document.createElement("p"), { className: "muted", textContent: "No periods." }));
    return;
  }
  const width = Math.max(container.clientWidth || 800, 320);
  const height = 300;
  const innerW = width - MARGIN.left - MARGIN.right;
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const values = points.map(m.value);
  const yTicks = ticks(Math.max(...values));
  const yMax = yTicks[yTicks.length - 1];
  const n = points.length;
  const x = (i) => MARGIN.left + (n === 1 ? innerW / 2 : (i * innerW) / (n - 1));
  const y = (v) => MARGIN.top + innerH - (v / yMax) * innerH;

  const svg = s("svg", {
    id: "trend-svg",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": `${m.label} per ${granularity.toLowerCase()}`,
    "data-granularity": granularity,
    "data-metric": metric,
    "data-points": n,
  });

  const grid = s("g", { class: "grid-lines" });
  for (const t of yTicks) {
    grid.append(s("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: y(t), y2: y(t) }));
    grid.append(s("text", { x: MARGIN.left - 8, y: y(t) + 4, class: "y-label" }, compact(t)));
  }
  svg.append(grid);

  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(innerW / 90))));
  const xAxis = s("g", { class: "x-axis" });
  points.forEach((p, i) => {
    if (i % labelEvery !== 0) return;
    xAxis.append(s("line", { x1: x(i), x2: x(i), y1: MARGIN.top + innerH, y2: MARGIN.top + innerH + 4 }));
    // the outermost labels are anchored inwards so that they stay inside the svg
    const anchor = x(i) < MARGIN.left + 30 ? "start" : x(i) > width - MARGIN.right - 30 ? "end" : "middle";
    xAxis.append(s("text", { x: x(i), y: height - 10, class: "x-label", "text-anchor": anchor },
      periodLabel(p.periodStart, granularity)));
  });
  xAxis.append(s("line", {
    x1: MARGIN.left, x2: width - MARGIN.right, y1: MARGIN.top + innerH, y2: MARGIN.top + innerH, class: "baseline",
  }));
  svg.append(xAxis);

  const line = values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("");
  const area = `${line}L${x(n - 1).toFixed(1)},${y(0)}L${x(0).toFixed(1)},${y(0)}Z`;
  svg.append(s("path", { d: area, class: "area" }));
  svg.append(s("path", { d: line, class: "line" }));

  const radius = n > 150 ? 1.6 : n > 60 ? 2.4 : 3.5;
  const dots = s("g", { class: "points" });
  points.forEach((p, i) => {
    const c = s("circle", {
      cx: x(i).toFixed(1), cy: y(values[i]).toFixed(1), r: radius, class: "point", "data-period": p.periodStart,
    });
    c.append(s("title", {}, `${periodLabel(p.periodStart, granularity, true)}: ${m.text(p)}`));
    dots.append(c);
  });
  svg.append(dots);

  const focus = s("circle", { r: radius + 3, class: "focus", visibility: "hidden" });
  const guide = s("line", { y1: MARGIN.top, y2: MARGIN.top + innerH, class: "guide", visibility: "hidden" });
  svg.append(guide, focus);
  const overlay = s("rect", {
    x: MARGIN.left, y: MARGIN.top, width: innerW, height: innerH, class: "overlay", fill: "transparent",
  });
  svg.append(overlay);

  if (tooltip) {
    const hide = () => {
      tooltip.hidden = true;
      focus.setAttribute("visibility", "hidden");
      guide.setAttribute("visibility", "hidden");
    };
    overlay.addEventListener("pointerleave", hide);
    overlay.addEventListener("pointermove", (event) => {
      const box = svg.getBoundingClientRect();
      const px = ((event.clientX - box.left) * width) / box.width;
      const i = n === 1 ? 0 : Math.max(0, Math.min(n - 1, Math.round(((px - MARGIN.left) * (n - 1)) / innerW)));
      const p = points[i];
      focus.setAttribute("cx", x(i));
      focus.setAttribute("cy", y(values[i]));
      guide.setAttribute("x1", x(i));
      guide.setAttribute("x2", x(i));
      focus.setAttribute("visibility", "visible");
      guide.setAttribute("visibility", "visible");
      tooltip.replaceChildren();
      const title = document.createElement("strong");
      title.textContent = periodLabel(p.periodStart, granularity, true);
      tooltip.append(title);
      for (const [label, text] of [
        ["Revenue", money(p.revenue)], ["Orders", int(p.orders)], ["Units", int(p.units)],
        ["vs previous", p.revenueChange === null ? "–" : (p.revenueChange.startsWith("-") ? "" : "+") + money(p.revenueChange)],
      ]) {
        const row = document.createElement("div");
        row.textContent = `${label}: ${text}`;
        tooltip.append(row);
      }
      tooltip.hidden = false;
      const left = box.left + window.scrollX + (x(i) * box.width) / width;
      const top = box.top + window.scrollY + (y(values[i]) * box.height) / height;
      tooltip.style.left = `${Math.min(left + 12, window.scrollX + document.documentElement.clientWidth - 220)}px`;
      tooltip.style.top = `${top - 10}px`;
    });
  }
  container.append(svg);
}
