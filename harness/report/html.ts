// report.html: one self-contained page (inline CSS and SVG, no external assets) with the
// verdict, the parameters, latency and throughput over time with fault intervals shaded,
// and the explanation of any violation.
import type { Op } from "../../histories/op.ts";
import type { Verdict } from "../../checkers/types.ts";
import {
  counts,
  faultIntervals,
  latencies,
  throughput,
  type FaultInterval,
  type LatencyPoint,
  type ThroughputBin,
} from "./series.ts";

export interface ReportInput {
  title: string;
  verdict: Verdict;
  incomplete: boolean;
  parameters: Record<string, unknown>;
  history: readonly Op[];
  /** Plain lines explaining a violation (or why the verdict is unknown). */
  explanation: string[];
}

const COLOURS = { ok: "#2e9d4c", fail: "#d9822b", info: "#8a5cc7" } as const;
const W = 900;
const H = 260;
const PAD = { left: 56, right: 12, top: 12, bottom: 30 };
/** More points than this are thinned evenly: the page stays small and quick to open. */
const MAX_POINTS = 20000;

export function renderReport(input: ReportInput): string {
  const points = latencies(input.history);
  const faults = faultIntervals(input.history);
  const bins = throughput(points);
  const c = counts(input.history);
  const duration = Math.max(
    1,
    ...points.map((p) => p.at + p.latencyMs / 1000),
    ...faults.map((f) => f.to),
  );
  const verdictText = input.incomplete
    ? "INCOMPLETE (interrupted)"
    : input.verdict === true
      ? "VALID"
      : input.verdict === false
        ? "INVALID"
        : "UNKNOWN";
  const verdictClass = input.incomplete ? "unknown" : String(input.verdict);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:960px}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
.verdict{display:inline-block;padding:6px 14px;border-radius:4px;color:#fff;font-weight:bold;font-size:18px}
.v-true{background:#2e9d4c}.v-false{background:#c62828}.v-unknown{background:#777}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px}
.legend span{margin-right:14px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
svg text{font:11px sans-serif;fill:#444}
</style></head><body>
<h1>${esc(input.title)}</h1>
<p><span class="verdict v-${verdictClass}">${verdictText}</span>
&nbsp; ${c.ok} ok, ${c.fail} fail, ${c.info} info${c.pending ? `, ${c.pending} pending` : ""}; ${faults.length} faults</p>
${input.explanation.length ? `<h2>Explanation</h2><pre>${esc(input.explanation.join("\n"))}</pre>` : ""}
<h2>Latency over time</h2>
<p class="legend">${legend()} <span><span class="sw" style="background:#f2c94c55"></span>fault in effect</span></p>
${latencyChart(points, faults, duration)}
<h2>Throughput over time (completions per second)</h2>
${throughputChart(bins, faults, duration)}
<h2>Faults</h2>
${faults.length ? `<table><tr><th>from (s)</th><th>to (s)</th><th>fault</th></tr>${faults.map((f) => `<tr><td>${f.from.toFixed(2)}</td><td>${f.to.toFixed(2)}</td><td>${esc(f.label)}</td></tr>`).join("")}</table>` : "<p>none</p>"}
<h2>Parameters</h2>
<table>${Object.entries(input.parameters)
    .map(
      ([k, v]) =>
        `<tr><th>${esc(k)}</th><td>${esc(typeof v === "string" ? v : JSON.stringify(v))}</td></tr>`,
    )
    .join("")}</table>
</body></html>
`;
}

function legend(): string {
  return (Object.entries(COLOURS) as [string, string][])
    .map(([t, col]) => `<span><span class="sw" style="background:${col}"></span>${t}</span>`)
    .join("");
}

function frame(
  duration: number,
  yTicks: { y: number; label: string }[],
  faults: FaultInterval[],
  body: string,
): string {
  const x = (s: number) => PAD.left + (s / duration) * (W - PAD.left - PAD.right);
  const shaded = faults
    .map(
      (f) =>
        `<rect x="${x(f.from).toFixed(1)}" y="${PAD.top}" width="${Math.max(1, x(f.to) - x(f.from)).toFixed(1)}" height="${H - PAD.top - PAD.bottom}" fill="#f2c94c" fill-opacity="0.33"><title>${esc(f.label)} (${f.from.toFixed(1)}s to ${f.to.toFixed(1)}s)</title></rect>`,
    )
    .join("");
  const step = niceStep(duration);
  let xTicks = "";
  for (let s = 0; s <= duration; s += step)
    xTicks += `<line x1="${x(s)}" x2="${x(s)}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom + 4}" stroke="#999"/><text x="${x(s)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${s}s</text>`;
  const yAxis = yTicks
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${t.y}" y2="${t.y}" stroke="#eee"/><text x="${PAD.left - 6}" y="${t.y + 4}" text-anchor="end">${t.label}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${yAxis}${shaded}${body}<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#999"/>${xTicks}</svg>`;
}

function latencyChart(all: LatencyPoint[], faults: FaultInterval[], duration: number): string {
  const stride = Math.ceil(all.length / MAX_POINTS);
  const points = stride > 1 ? all.filter((_, i) => i % stride === 0) : all;
  // Log scale: sub-millisecond ops and multi-second timeouts both stay visible.
  const maxMs = Math.max(10, ...points.map((p) => p.latencyMs));
  const lo = Math.log10(0.1);
  const hi = Math.log10(maxMs) + 0.1;
  const y = (ms: number) =>
    H -
    PAD.bottom -
    ((Math.log10(Math.max(0.1, ms)) - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const x = (s: number) => PAD.left + (s / duration) * (W - PAD.left - PAD.right);
  const dots = points
    .map(
      (p) =>
        `<circle cx="${x(p.at).toFixed(1)}" cy="${y(p.latencyMs).toFixed(1)}" r="1.8" fill="${COLOURS[p.type]}"/>`,
    )
    .join("");
  const ticks = [];
  for (let e = -1; e <= Math.ceil(hi); e++) {
    const ms = 10 ** e;
    if (ms > maxMs * 1.3) break;
    ticks.push({ y: y(ms), label: ms >= 1000 ? `${ms / 1000}s` : `${ms}ms` });
  }
  const note = stride > 1 ? `<p>(${points.length} of ${all.length} ops drawn)</p>` : "";
  return frame(duration, ticks, faults, dots) + note;
}

function throughputChart(bins: ThroughputBin[], faults: FaultInterval[], duration: number): string {
  const max = Math.max(1, ...bins.map((b) => b.ok + b.fail + b.info));
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const x = (s: number) => PAD.left + (s / duration) * (W - PAD.left - PAD.right);
  const line = (key: "ok" | "fail" | "info") =>
    `<polyline fill="none" stroke="${COLOURS[key]}" stroke-width="1.5" points="${bins.map((b) => `${x(b.at + 0.5).toFixed(1)},${y(b[key]).toFixed(1)}`).join(" ")}"/>`;
  const step = niceStep(max);
  const ticks = [];
  for (let v = 0; v <= max; v += step) ticks.push({ y: y(v), label: String(v) });
  return frame(duration, ticks, faults, line("ok") + line("fail") + line("info"));
}

function niceStep(range: number): number {
  const raw = range / 8;
  const mag = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!,
  );
}
