// Chaos Advisor web console: draws Mermaid diagrams with the local mermaid.min.js (when served)
// and keeps a run's page live from its server-sent events (/runs/<id>/live). Plain JS, no build.
"use strict";

function drawDiagrams() {
  if (typeof window.mermaid === "undefined" || !document.querySelector("pre.mermaid")) return;
  window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  window.mermaid.run({ querySelector: "pre.mermaid" });
}

function sparkline(values) {
  const ns = "http://www.w3.org/2000/svg";
  const w = 160, h = 28, points = values.filter((v) => v !== null);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", "spark");
  if (points.length < 2) return svg;
  const max = Math.max(...points, 1e-9), step = w / (values.length - 1);
  const d = values.map((v, i) => v === null ? null : `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`)
    .filter((p) => p !== null).join(" ");
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", d);
  svg.appendChild(line);
  const title = document.createElementNS(ns, "title");
  title.textContent = `max ${max.toFixed(1)}`;
  svg.appendChild(title);
  return svg;
}

function liveRun(root) {
  const runId = root.dataset.run, series = {};
  const text = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };
  const body = document.querySelector("#signals tbody");
  let updates = 0;
  const source = new EventSource(`/runs/${encodeURIComponent(runId)}/live`);
  source.onmessage = (message) => {
    const live = JSON.parse(message.data);
    updates += 1;
    text("updates", String(updates));
    text("phase", live.phase);
    text("outcome", live.outcome || "running");
    const pending = document.getElementById("pending");
    if (pending && live.phase !== "waiting for approval") pending.hidden = true;
    const abortForm = document.getElementById("abort-form");
    if (abortForm) abortForm.hidden = !live.engine || Boolean(live.report_path);
    if (live.engine) text("engine", `${live.engine} · ${live.engine_state || "-"} · verdict ${live.verdict || "-"}`);
    for (const sample of live.samples) {
      text("tick", String(sample.tick));
      for (const [name, s] of Object.entries(sample.services)) {
        const keep = series[name] || (series[name] = { err: [], p95: [], last: s });
        keep.err.push(s.error_rate_pct); keep.p95.push(s.latency_p95_ms); keep.last = s;
        if (keep.err.length > 300) { keep.err.shift(); keep.p95.shift(); }
      }
    }
    if (live.samples.length) {
      body.replaceChildren(...Object.keys(series).sort().map((name) => {
        const k = series[name], row = document.createElement("tr");
        row.dataset.service = name;
        const cells = [name, `${k.last.error_rate_pct ?? "-"} %`, `${k.last.latency_p95_ms ?? "-"} ms`, k.last.ready];
        for (const c of cells) { const td = document.createElement("td"); td.textContent = c; row.appendChild(td); }
        for (const values of [k.err, k.p95]) { const td = document.createElement("td"); td.appendChild(sparkline(values)); row.appendChild(td); }
        return row;
      }));
    }
    const events = document.getElementById("events");
    events.replaceChildren(...live.events.map((e) => { const li = document.createElement("li"); li.textContent = `${e.at} ${e.kind} ${e.detail}`; return li; }));
    if (live.report_path) {
      const report = document.getElementById("report");
      report.replaceChildren();
      const a = document.createElement("a"); a.href = `/runs/${encodeURIComponent(runId)}/report`; a.textContent = live.report_path;
      report.appendChild(a);
    }
  };
  source.addEventListener("end", () => { source.close(); text("phase", document.getElementById("phase").textContent + " (ended)"); });
  source.addEventListener("failed", (message) => { source.close(); text("phase", JSON.parse(message.data).error); });
}

document.addEventListener("DOMContentLoaded", () => {
  drawDiagrams();
  const run = document.getElementById("run");
  if (run) liveRun(run);
  const abort = document.getElementById("abort");
  if (abort) abort.form.addEventListener("submit", (e) => { if (!window.confirm("Stop this run's chaos now?")) e.preventDefault(); });
});
