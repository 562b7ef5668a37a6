// The acecoder board: lists the runs under the served folder, polls their
// metrics.jsonl and draws one SVG panel per metric with every selected run
// overlaid, one legend for the page. No libraries: the page must work
// offline from the binary alone.
"use strict";

const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const priority = ["loss/", "reward/", "kl/", "eval/", "rm/", "policy/", "rollout/", "optim/", "perf/", "time/", "data/"];
const svgNS = "http://www.w3.org/2000/svg";

const state = {
  runs: [],            // from /api/runs
  selected: new Set(), // run ids
  colors: new Map(),   // run id → colour, stable while the page lives
  data: new Map(),     // run id → {offset, records: []}
  errors: [],
  configRun: "",
  dirty: true,
};

function el(tag, attrs = {}, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(svgNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${(await r.text()).trim()}`);
  return r.json();
}

function colorOf(id) {
  if (!state.colors.has(id)) state.colors.set(id, palette[state.colors.size % palette.length]);
  return state.colors.get(id);
}

// refreshRuns reloads the list; the first time it selects the runs named in
// ?runs=a,b, or else the live ones, or else the six written last, and shows
// the config of ?config=ID.
async function refreshRuns() {
  const body = await getJSON("api/runs");
  const root = document.getElementById("root");
  root.textContent = body.root.split("/").filter(Boolean).pop() || body.root;
  root.title = body.root;
  const first = state.runs.length === 0 && state.selected.size === 0;
  state.runs = body.runs;
  if (first) {
    const asked = new URLSearchParams(location.search).get("runs");
    let pick = asked ? asked.split(",") : body.runs.filter((r) => r.live).map((r) => r.id);
    if (pick.length === 0) {
      pick = [...body.runs].sort((a, b) => b.modified.localeCompare(a.modified)).slice(0, 6).map((r) => r.id);
    }
    pick.filter((id) => body.runs.some((r) => r.id === id)).forEach((id) => { state.selected.add(id); colorOf(id); });
    const config = new URLSearchParams(location.search).get("config");
    if (config) showConfig(config).catch(showError);
  }
  renderRuns();
}

// refreshMetrics reads what each selected run wrote since the last poll
// (one poll at a time, so no record is read twice).
let polling = false;
async function refreshMetrics() {
  if (polling) return;
  polling = true;
  try {
    await pollMetrics();
  } finally {
    polling = false;
  }
}

async function pollMetrics() {
  let changed = false;
  for (const id of state.selected) {
    const d = state.data.get(id) || { offset: 0, records: [] };
    const c = await getJSON(`api/metrics?run=${encodeURIComponent(id)}&offset=${d.offset}`);
    if (c.reset) d.records = [];
    if (c.records.length > 0 || c.reset) changed = true;
    d.records.push(...c.records);
    d.offset = c.offset;
    state.data.set(id, d);
    if (c.errors) state.errors = c.errors;
  }
  if (changed || state.dirty) {
    state.dirty = false;
    renderCharts();
  }
}

function renderRuns() {
  const nav = document.getElementById("runs");
  nav.replaceChildren();
  let group = null;
  for (const r of state.runs) {
    if (r.group !== group) {
      group = r.group;
      const g = el("div", { class: "group" }, group || "runs");
      if (r.sweep) g.append(" ", el("small", {}, "sweep"));
      nav.append(g);
    }
    const label = el("label", { "data-run": r.id });
    const box = el("input", { type: "checkbox" });
    box.checked = state.selected.has(r.id);
    box.addEventListener("change", () => {
      if (box.checked) { state.selected.add(r.id); colorOf(r.id); } else state.selected.delete(r.id);
      state.dirty = true;
      renderRuns();
      refreshMetrics().catch(showError);
    });
    const sw = el("span", { class: "swatch" });
    sw.style.background = state.selected.has(r.id) ? colorOf(r.id) : "transparent";
    const name = el("span", { class: "name", title: r.id }, r.name);
    name.addEventListener("click", (ev) => { ev.preventDefault(); showConfig(r.id).catch(showError); });
    label.append(box, sw, name);
    if (r.live) label.append(el("span", { class: "live" }, "● live"));
    nav.append(label);
  }
  if (state.runs.length === 0) nav.append(el("div", { class: "empty" }, "No run directories (folders with metrics.jsonl) here yet."));
}

async function showConfig(id) {
  const c = await getJSON(`api/config?run=${encodeURIComponent(id)}`);
  state.configRun = id;
  document.getElementById("config-title").textContent = id;
  let text = c.config || "(no config.yaml)";
  if (c.run) text += "\n# run.json\n" + JSON.stringify(c.run, null, 2);
  document.getElementById("config-text").textContent = text;
}

function filterKeys(keys) {
  const f = document.getElementById("filter").value.split(",").map((s) => s.trim()).filter(Boolean);
  return f.length === 0 ? keys : keys.filter((k) => f.some((p) => k.startsWith(p)));
}

function rank(key) {
  const i = priority.findIndex((p) => key.startsWith(p));
  return i < 0 ? priority.length : i;
}

function renderCharts() {
  const keys = new Set();
  for (const id of state.selected) {
    for (const rec of (state.data.get(id) || { records: [] }).records) {
      for (const [k, v] of Object.entries(rec)) if (k !== "step" && typeof v === "number") keys.add(k);
    }
  }
  const sorted = filterKeys([...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)));
  const legend = document.getElementById("legend");
  legend.replaceChildren();
  for (const id of state.selected) {
    const i = el("i");
    i.style.background = colorOf(id);
    const s = el("span", { "data-run": id });
    s.append(i, id);
    legend.append(s);
  }
  const panels = document.getElementById("panels");
  panels.replaceChildren();
  for (const key of sorted) panels.append(panel(key));
  if (sorted.length === 0) panels.append(el("div", { class: "empty" }, state.selected.size ? "No metrics yet." : "Select runs on the left."));
  const live = state.runs.filter((r) => r.live).length;
  const warn = state.errors.length ? ` · ${state.errors[0]}` : "";
  const status = document.getElementById("status");
  status.textContent = `${state.runs.length} runs, ${live} live · updated ${new Date().toLocaleTimeString()}${warn}`;
  status.className = warn ? "warn" : "";
}

// niceTicks returns about n round tick values covering [lo, hi].
function niceTicks(lo, hi, n) {
  if (!(hi > lo)) { const d = Math.abs(lo) * 0.1 || 1; lo -= d; hi += d; }
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  // The axis runs from a tick to a tick, so both ends are labelled.
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  const ticks = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { lo: ticks[0], hi: ticks[ticks.length - 1], ticks };
}

function fmt(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

// panel draws one metric: every selected run's (step, value) points as a
// line, with markers where a run has few points.
function panel(key) {
  const W = 340, H = 210, L = 48, R = 10, T = 8, B = 22;
  const series = [];
  let xs = [], ys = [];
  for (const id of state.selected) {
    const pts = (state.data.get(id) || { records: [] }).records
      .filter((r) => typeof r[key] === "number" && Number.isFinite(r[key]) && typeof r.step === "number")
      .map((r) => [r.step, r[key]]);
    if (pts.length === 0) continue;
    series.push({ id, pts });
    xs = xs.concat(pts.map((p) => p[0]));
    ys = ys.concat(pts.map((p) => p[1]));
  }
  const div = el("div", { class: "panel", "data-key": key });
  div.append(el("h3", {}, key));
  const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": key });
  const x = niceTicks(Math.min(...xs), Math.max(...xs), 5), y = niceTicks(Math.min(...ys), Math.max(...ys), 4);
  const sx = (v) => L + (v - x.lo) / (x.hi - x.lo) * (W - L - R);
  const sy = (v) => H - B - (v - y.lo) / (y.hi - y.lo) * (H - T - B);
  for (const t of y.ticks) {
    svg.append(el("svg:line", { class: "grid", x1: L, x2: W - R, y1: sy(t), y2: sy(t) }));
    svg.append(el("svg:text", { x: L - 4, y: sy(t) + 3, "text-anchor": "end" }, fmt(t)));
  }
  for (const t of x.ticks) {
    svg.append(el("svg:text", { x: sx(t), y: H - 6, "text-anchor": "middle" }, fmt(t)));
  }
  svg.append(el("svg:line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  svg.append(el("svg:line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  for (const s of series) {
    const d = s.pts.map((p, i) => `${i ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
    const path = el("svg:path", { class: "series", d, stroke: colorOf(s.id), "data-run": s.id, "data-points": s.pts.length });
    svg.append(path);
    const marks = s.pts.length <= 30 ? s.pts : [s.pts[s.pts.length - 1]];
    for (const p of marks) svg.append(el("svg:circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: colorOf(s.id) }));
  }
  div.append(svg);
  return div;
}

function showError(err) {
  const status = document.getElementById("status");
  status.textContent = String(err.message || err);
  status.className = "warn";
}

document.getElementById("filter").addEventListener("input", () => renderCharts());

async function tick() {
  try {
    await refreshRuns();
    await refreshMetrics();
  } catch (err) {
    showError(err);
  }
}

tick();
setInterval(() => refreshMetrics().catch(showError), 1000);
setInterval(() => refreshRuns().catch(showError), 3000);
