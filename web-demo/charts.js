// Small SVG charts for the demo: a score gauge, a score timeline, labelled bars and an ROC
// curve. Plain DOM, no library: each function returns an <svg> element sized by its viewBox, so
// CSS decides how large it is drawn.

const NS = "http://www.w3.org/2000/svg";

function el(name, attributes = {}, children = []) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

function text(x, y, content, attributes = {}) {
  const t = el("text", { x, y, ...attributes });
  t.textContent = content;
  return t;
}

function svg(width, height, label, children) {
  return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label }, [
    el("title", {}, [label]),
    ...children,
  ]);
}

/** Colour of a score relative to the model's threshold. */
export function riskClass(score, threshold) {
  if (score >= threshold) return "risk-high";
  if (score >= threshold / 2) return "risk-mid";
  return "risk-low";
}

/** A half-circle gauge of `score` in [0, 1] with a tick at `threshold`. */
export function gauge(score, threshold) {
  const r = 80;
  const cx = 100;
  const cy = 95;
  const point = (v) => {
    const angle = Math.PI * (1 - v);
    return [cx + r * Math.cos(angle), cy - r * Math.sin(angle)];
  };
  const arc = (from, to) => {
    const [x0, y0] = point(from);
    const [x1, y1] = point(to);
    return `M ${x0} ${y0} A ${r} ${r} 0 0 1 ${x1} ${y1}`;
  };
  const clamped = Math.min(1, Math.max(0, score));
  const [tx0, ty0] = point(threshold);
  const inner = (v) => {
    const angle = Math.PI * (1 - v);
    return [cx + (r - 14) * Math.cos(angle), cy - (r - 14) * Math.sin(angle)];
  };
  const [tx1, ty1] = inner(threshold);
  return svg(200, 122, `risk score ${clamped.toFixed(3)}, threshold ${threshold.toFixed(3)}`, [
    el("path", { d: arc(0, 1), class: "gauge-track", fill: "none", "stroke-width": 16 }),
    el("path", {
      d: arc(0, Math.max(clamped, 0.001)),
      class: `gauge-value ${riskClass(score, threshold)}`,
      fill: "none",
      "stroke-width": 16,
    }),
    el("line", { x1: tx0, y1: ty0, x2: tx1, y2: ty1, class: "gauge-threshold", "stroke-width": 3 }),
    text(cx, cy - 12, clamped.toFixed(3), { class: "gauge-text", "text-anchor": "middle" }),
    text(cx, cy + 20, `threshold ${threshold.toFixed(3)} (tick)`, { class: "chart-note", "text-anchor": "middle" }),
  ]);
}

/** Score after each event, with the threshold as a dashed line. */
export function timeline(scores, threshold) {
  const w = 320;
  const h = 110;
  const pad = 22;
  const n = Math.max(scores.length, 2);
  const x = (i) => pad + ((w - 2 * pad) * i) / (n - 1);
  const y = (v) => h - pad - (h - 2 * pad) * Math.min(1, Math.max(0, v));
  const points = scores.map((s, i) => `${x(i)},${y(s)}`).join(" ");
  const dots = scores.map((s, i) =>
    el("circle", { cx: x(i), cy: y(s), r: 2.5, class: riskClass(s, threshold) }, [
      el("title", {}, [`after event ${i + 1}: ${s.toFixed(3)}`]),
    ]),
  );
  return svg(w, h, `score after each of ${scores.length} events`, [
    el("line", { x1: pad, y1: y(0), x2: w - pad, y2: y(0), class: "axis" }),
    el("line", { x1: pad, y1: y(1), x2: pad, y2: y(0), class: "axis" }),
    el("line", { x1: pad, y1: y(threshold), x2: w - pad, y2: y(threshold), class: "threshold-line" }),
    text(2, y(1) + 4, "1", { class: "chart-note" }),
    text(2, y(0) + 4, "0", { class: "chart-note" }),
    text(w - pad, h - 4, "events →", { class: "chart-note", "text-anchor": "end" }),
    el("polyline", { points, fill: "none", class: "timeline-line" }),
    ...dots,
  ]);
}

/**
 * Horizontal bars: `rows` of `{ label, values: { name: number }, highlight?, data? }`, one bar
 * per name, scaled to the largest value of that name. Each row's <g> carries `data-row` (its
 * index in `rows`) and the attributes in `data`.
 */
export function bars(rows, names, label) {
  const w = 340;
  const rowHeight = 8 + 9 * names.length;
  const labelWidth = 160;
  const legend = names.length > 1 ? 14 : 0;
  const h = legend + rowHeight * rows.length + 4;
  const max = Object.fromEntries(
    names.map((name) => [name, Math.max(1e-12, ...rows.map((r) => Math.abs(r.values[name] ?? 0)))]),
  );
  const key = names.map((name, j) =>
    el("g", {}, [
      el("rect", { x: labelWidth + 70 * j, y: 2, width: 8, height: 8, class: `bar bar-${j}` }),
      text(labelWidth + 70 * j + 11, 9.5, name, { class: "bar-value" }),
    ]),
  );
  const clip = (label) => (label.length > 30 ? `${label.slice(0, 29)}…` : label);
  const groups = rows.map((row, i) => {
    const top = legend + 2 + i * rowHeight;
    const barsOfRow = names.map((name, j) => {
      const v = row.values[name] ?? 0;
      const width = ((w - labelWidth - 40) * Math.abs(v)) / max[name];
      return el("g", {}, [
        el("rect", {
          x: labelWidth,
          y: top + 2 + 9 * j,
          width: Math.max(width, 0.5),
          height: 7,
          class: `bar bar-${j}`,
        }),
        text(labelWidth + width + 3, top + 8.5 + 9 * j, v.toFixed(3), { class: "bar-value" }),
        el("title", {}, [`${row.label}: ${name} ${v.toFixed(4)}`]),
      ]);
    });
    return el("g", { "data-row": i, class: row.highlight ? "row-highlight" : "", ...row.data }, [
      text(labelWidth - 4, top + rowHeight / 2 + 3, clip(row.label), { class: "bar-label", "text-anchor": "end" }),
      ...barsOfRow,
    ]);
  });
  return svg(w, Math.max(h, 10), label, legend ? [...key, ...groups] : groups);
}

/** The ROC curve (`[{ fpr, tpr }]`) with the diagonal. */
export function roc(points, auc) {
  const s = 160;
  const pad = 20;
  const x = (v) => pad + (s - 2 * pad) * v;
  const y = (v) => s - pad - (s - 2 * pad) * v;
  const path = points.map((p, i) => `${i ? "L" : "M"} ${x(p.fpr)} ${y(p.tpr)}`).join(" ");
  return svg(s, s, `test ROC curve, AUC ${auc.toFixed(4)}`, [
    el("rect", { x: x(0), y: y(1), width: x(1) - x(0), height: y(0) - y(1), class: "axis", fill: "none" }),
    el("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: "threshold-line" }),
    el("path", { d: path, fill: "none", class: "timeline-line" }),
    text(s / 2, s - 4, "false positive rate", { class: "chart-note", "text-anchor": "middle" }),
    text(4, s / 2, "TPR", { class: "chart-note" }),
    text(x(1) - 2, y(0) - 6, `AUC ${auc.toFixed(3)}`, { class: "chart-note", "text-anchor": "end" }),
  ]);
}

/**
 * The cluster model's map (`card.cluster_map`): training sessions on the clustering's first two
 * principal axes — noise grey, ordinary clusters light, risky clusters in the risk colour — and
 * the visitor's session (`point`, the explanation's `map_point`) as a ringed dot.
 */
export function clusterMap(map, point) {
  const w = 340;
  const h = 260;
  const pad = 14;
  const xs = map.points.map((p) => p.x).concat(point ? [point[0]] : []);
  const ys = map.points.map((p) => p.y).concat(point ? [point[1]] : []);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const x = (v) => pad + ((w - 2 * pad) * (v - x0)) / Math.max(x1 - x0, 1e-9);
  const y = (v) => h - pad - ((h - 2 * pad) * (v - y0)) / Math.max(y1 - y0, 1e-9);
  const kind = (p) => (p.label < 0 ? "map-noise" : p.risky ? "map-risky" : "map-cluster");
  const order = { "map-noise": 0, "map-cluster": 1, "map-risky": 2 };
  const dots = [...map.points]
    .sort((a, b) => order[kind(a)] - order[kind(b)])
    .map((p) =>
      el("circle", { cx: x(p.x), cy: y(p.y), r: p.risky ? 2.4 : 1.8, class: kind(p), "data-label": p.label }),
    );
  const [v0, v1] = map.explained_variance.map((v) => (100 * v).toFixed(0));
  const you = point
    ? [
        el("circle", { cx: x(point[0]), cy: y(point[1]), r: 7, class: "map-you-ring", fill: "none" }),
        el("circle", { cx: x(point[0]), cy: y(point[1]), r: 3, class: "map-you", id: "map-you" }),
        text(x(point[0]) + 9, y(point[1]) - 6, "you", { class: "map-you-label" }),
      ]
    : [];
  const label = `clusters of ${map.points.length} training sessions on two principal axes (${v0}% and ${v1}% of the variance)${point ? ", with this session" : ""}`;
  return svg(w, h, label, [
    el("rect", { x: 0.5, y: 0.5, width: w - 1, height: h - 1, class: "axis", fill: "none" }),
    ...dots,
    text(pad, h - 3, `axis 1: ${v0}% of the variance · axis 2: ${v1}%`, { class: "chart-note" }),
    ...you,
  ]);
}

/**
 * Vertical bars over a sequence (sessions, payments): `items` of `{ value, title, highlight?,
 * marked?, data? }` in time order, scaled to the largest value; `first` and `last` label the
 * two ends of the axis. Each bar's <g> carries `data-column` (its index) and the attributes in
 * `data`; `marked` items get a ⚑ above their bar.
 */
export function columns(items, { label, first, last, name }) {
  const w = 340;
  const h = 120;
  const pad = 16;
  const top = 14;
  const n = Math.max(items.length, 1);
  const step = (w - 2 * pad) / n;
  const max = Math.max(1e-12, ...items.map((c) => Math.abs(c.value)));
  const base = h - pad - 4;
  const groups = items.map((c, i) => {
    const height = ((base - top) * Math.abs(c.value)) / max;
    const x = pad + i * step;
    return el("g", { "data-column": i, class: c.highlight ? "row-highlight" : "", ...c.data }, [
      el("rect", {
        x: x + step * 0.1,
        y: base - height,
        width: Math.max(step * 0.8, 0.8),
        height: Math.max(height, 0.5),
        class: "bar bar-0",
      }),
      ...(c.marked
        ? [text(x + step / 2, base - height - 2, "⚑", { class: "bar-value", "text-anchor": "middle" })]
        : []),
      el("title", {}, [c.title]),
    ]);
  });
  return svg(w, h, label, [
    el("line", { x1: pad, y1: base, x2: w - pad, y2: base, class: "axis" }),
    text(pad, 10, `${name} (bar height; hover a bar for its details)`, { class: "chart-note" }),
    text(pad, h - 3, first, { class: "chart-note" }),
    text(w - pad, h - 3, last, { class: "chart-note", "text-anchor": "end" }),
    ...groups,
  ]);
}
