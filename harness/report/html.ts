// report.html: one self-contained page (inline CSS and SVG, no scripts, no external assets):
// the verdict, each checker's result (and any section a checker adds: sections.ts), latency
// and throughput over time with the faults shaded in their kinds' colours, the faults by node,
// the table of what each fault really did, and the parameters.
import type { Op } from "../../histories/op.ts";
import type { CheckResult, Verdict } from "../../checkers/types.ts";
import { counts, latencies, throughput, type LatencyPoint, type ThroughputBin } from "./series.ts";
import { byNode, faultSpans, type FaultSpan } from "./faults.ts";
import {
  OUTCOME_COLOURS,
  PLOT,
  esc,
  faultColour,
  faultLegend,
  frame,
  legend,
  n,
  niceStep,
  timeAxis,
  type LegendEntry,
  type TimeAxis,
} from "./charts.ts";
import { checkerSections, type ReportSection } from "./sections.ts";
import { latencyByKind } from "./quantiles.ts";
// Checker sections register themselves when imported.
import "./timeline.ts";
import "./agreement-instances.ts";

export interface ReportInput {
  title: string;
  verdict: Verdict;
  /** The run was cut short: its history is partial. */
  incomplete: boolean;
  parameters: Record<string, unknown>;
  history: readonly Op[];
  /** Plain lines explaining a violation (or why the verdict is unknown). */
  explanation: string[];
  /** Each checker's result, by name. */
  results?: Record<string, CheckResult>;
  /** The command that repeats the run (or the check). */
  replay?: string;
}

const CHART_HEIGHT = 280;
const LANE_HEIGHT = 22;
/** More points than this are thinned evenly: the page stays small and quick to open. */
const MAX_POINTS = 20000;

export function renderReport(input: ReportInput): string {
  const points = latencies(input.history);
  const faults = faultSpans(input.history);
  const c = counts(input.history);
  // A loop, not Math.max(...): an hour-long run has too many points to spread as arguments.
  let duration = 0;
  for (const p of points) duration = Math.max(duration, p.at + p.latencyMs / 1000);
  for (const f of faults) duration = Math.max(duration, f.to);
  const axis = timeAxis(duration);
  const results = input.results ?? {};
  const sections: ReportSection[] = [
    ...(input.explanation.length
      ? [
          {
            title: "Explanation",
            html: `<pre class="explanation">${esc(input.explanation.join("\n"))}</pre>`,
          },
        ]
      : []),
    ...(Object.keys(results).length ? [{ title: "Checkers", html: checkerTable(results) }] : []),
    ...checkerSections(results, { history: input.history, axis, faults }),
    ...(duration > 0
      ? [
          { title: "Latency by operation", html: quantileTable(points) },
          { title: "Latency over time", html: latencyChart(points, faults, axis) },
          {
            title: "Throughput over time",
            html: throughputChart(throughput(points), faults, axis),
          },
          // Jepsen's nemesis ops name no nodes: then there is nothing to draw per node.
          ...(faults.some((f) => f.spans.length > 0)
            ? [{ title: "Faults by node", html: laneChart(faults, input.history, axis) }]
            : []),
        ]
      : [
          {
            title: "Over time",
            html: "<p>This history records no times (all ops at 0), so there are no charts.</p>",
          },
        ]),
    { title: "Faults", html: faultTable(faults) },
    { title: "Parameters", html: parameterTable(input.parameters) },
  ];
  const verdict =
    input.verdict === true ? "VALID" : input.verdict === false ? "INVALID" : "UNKNOWN";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(input.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:16px auto;padding:0 16px;color:#222;max-width:1400px}
h1{font-size:20px;overflow-wrap:anywhere} h2{font-size:16px;margin-top:28px}
.verdict{display:inline-block;padding:6px 14px;border-radius:4px;color:#fff;font-weight:bold;font-size:18px;margin-right:6px}
.v-true{background:#2e9d4c}.v-false{background:#c62828}.v-unknown{background:#777}.v-incomplete{background:#b26a00}
table{border-collapse:collapse;max-width:100%}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
pre,code{background:#f6f6f6;font-size:12px}pre{padding:10px;overflow:auto}pre.explanation{white-space:pre-wrap;overflow-wrap:anywhere}code{padding:1px 4px;overflow-wrap:anywhere}
.legend span{margin-right:14px;white-space:nowrap}
.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;background:var(--c)}
.sw-dot{border-radius:50%;width:9px;height:9px}.sw-line{height:3px;vertical-align:3px}
.sw-band{opacity:.75}.sw-beside{opacity:.35;outline:1px dashed var(--c)}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
svg text{font:11px sans-serif;fill:#444}svg text.axis-title{font-size:12px;fill:#222}
</style></head><body>
<h1>${esc(input.title)}</h1>
<p><span class="verdict v-${String(input.verdict)}">${verdict}</span>${input.incomplete ? `<span class="verdict v-incomplete">INCOMPLETE</span>` : ""}
${c.ok} ok, ${c.fail} fail, ${c.info} info${c.pending ? `, ${c.pending} pending` : ""}; ${faults.length} fault${faults.length === 1 ? "" : "s"}${input.incomplete ? "; the run was interrupted, so its history is partial" : ""}</p>
${input.replay ? `<p>Replay: <code>${esc(input.replay)}</code></p>` : ""}
${sections.map((s) => `<section>\n<h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join("\n")}
</body></html>
`;
}

function checkerTable(results: Record<string, CheckResult>): string {
  const rows = Object.entries(results)
    .map(([name, r]) => {
      const v = r.valid === true ? "valid" : r.valid === false ? "invalid" : "unknown";
      return `<tr><th>${esc(name)}</th><td><span class="verdict-text v-text-${v}">${v}</span></td><td>${esc(r.reason ?? "")}</td></tr>`;
    })
    .join("");
  return `<table><tr><th>checker</th><th>verdict</th><th>why</th></tr>${rows}</table>`;
}

function quantileTable(points: LatencyPoint[]): string {
  const ms = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(1));
  const rows = latencyByKind(points)
    .map(
      (r) =>
        `<tr class="latency-row"><th>${esc(r.f)}</th><td>${r.ok}</td><td>${r.fail}</td><td>${r.info}</td><td>${ms(r.p50)}</td><td>${ms(r.p90)}</td><td>${ms(r.p99)}</td><td>${ms(r.max)}</td></tr>`,
    )
    .join("");
  return `<table class="num"><tr><th>operation</th><th>ok</th><th>fail</th><th>info</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr>${rows}</table><p>Quantiles of the latency of the ops that completed ok (nearest rank), from invocation to completion.</p>`;
}

function outcomeLegend(shape: "dot" | "line"): LegendEntry[] {
  return (Object.entries(OUTCOME_COLOURS) as [string, string][]).map(([label, colour]) => ({
    label,
    colour,
    shape,
  }));
}

function latencyChart(all: LatencyPoint[], faults: FaultSpan[], axis: TimeAxis): string {
  const stride = Math.ceil(all.length / MAX_POINTS);
  const points = stride > 1 ? all.filter((_, i) => i % stride === 0) : all;
  const bottom = CHART_HEIGHT - PLOT.bottom;
  // Log scale: sub-millisecond ops and multi-second timeouts both stay visible.
  const maxMs = Math.max(10, ...points.map((p) => p.latencyMs));
  const lo = Math.log10(0.1);
  const hi = Math.log10(maxMs) + 0.1;
  const y = (ms: number) =>
    bottom - ((Math.log10(Math.max(0.1, ms)) - lo) / (hi - lo)) * (bottom - PLOT.top);
  const dots = points
    .map(
      (p) =>
        `<circle cx="${n(axis.x(p.at))}" cy="${n(y(p.latencyMs))}" r="1.8" fill="${OUTCOME_COLOURS[p.type]}"/>`,
    )
    .join("");
  const ticks = [];
  for (let e = -1; e <= Math.ceil(hi); e++) {
    const ms = 10 ** e;
    if (ms > maxMs * 1.3) break;
    ticks.push({ y: y(ms), label: ms >= 1000 ? `${ms / 1000} s` : `${ms} ms` });
  }
  const note = stride > 1 ? `<p>(${points.length} of ${all.length} ops drawn)</p>` : "";
  return (
    legend([...outcomeLegend("dot"), ...faultLegend(faults)]) +
    frame({
      axis,
      height: CHART_HEIGHT,
      label: "Latency of each client op at its invocation time, by outcome, with faults shaded",
      yTitle: "latency (log scale)",
      yTicks: ticks,
      faults,
      body: dots,
    }) +
    note
  );
}

function throughputChart(bins: ThroughputBin[], faults: FaultSpan[], axis: TimeAxis): string {
  const bottom = CHART_HEIGHT - PLOT.bottom;
  const top = Math.max(1, ...bins.map((b) => Math.max(b.ok, b.fail, b.info)));
  const max = top * 1.08; // headroom: the busiest second does not touch the fault strips
  const y = (v: number) => bottom - (v / max) * (bottom - PLOT.top);
  const line = (key: "ok" | "fail" | "info") =>
    `<polyline fill="none" stroke="${OUTCOME_COLOURS[key]}" stroke-width="1.5" points="${bins.map((b) => `${n(axis.x(b.at + 0.5))},${n(y(b[key]))}`).join(" ")}"/>`;
  const step = Math.max(1, niceStep(top));
  const ticks = [];
  for (let v = 0; v <= top; v += step) ticks.push({ y: y(v), label: String(v) });
  return (
    legend([...outcomeLegend("line"), ...faultLegend(faults)]) +
    frame({
      axis,
      height: CHART_HEIGHT,
      label: "Client ops completed per second, by outcome, with faults shaded",
      yTitle: "completions per second",
      yTicks: ticks,
      faults,
      body: line("ok") + line("fail") + line("info"),
    })
  );
}

/** One row per node: when each node was faulted, and how, in the fault kind's colour. */
function laneChart(faults: FaultSpan[], history: readonly Op[], axis: TimeAxis): string {
  const names = new Set<string>();
  for (const f of faults) for (const s of f.spans) names.add(s.node);
  for (const op of history) if (typeof op.node === "string") names.add(op.node);
  const nodes = [...names].sort(byNode);
  const height = PLOT.top + nodes.length * LANE_HEIGHT + PLOT.bottom;
  const rowY = (node: string) => PLOT.top + nodes.indexOf(node) * LANE_HEIGHT;
  const bars = faults
    .flatMap((f) =>
      f.spans.map((s) => {
        const c = faultColour(f.kind);
        const x0 = axis.x(s.from);
        const w = Math.max(1.5, axis.x(s.to) - x0);
        const style = s.beside
          ? `fill="${c}" fill-opacity="0.3" stroke="${c}" stroke-dasharray="3 2"`
          : `fill="${c}" fill-opacity="0.85"`;
        return `<rect class="lane lane-${esc(f.kind)}" data-node="${esc(s.node)}" x="${n(x0)}" y="${n(rowY(s.node) + 3)}" width="${n(w)}" height="${LANE_HEIGHT - 6}" ${style}><title>${esc(`${s.node}: ${s.what} (${f.kind}, ${s.from.toFixed(1)} s to ${s.to.toFixed(1)} s)`)}</title></rect>`;
      }),
    )
    .join("");
  const ticks = nodes.map((node) => ({ y: rowY(node) + LANE_HEIGHT / 2, label: node }));
  const beside = faults.some((f) => f.spans.some((s) => s.beside));
  return (
    legend([
      ...faultLegend(faults),
      ...(beside
        ? [{ label: "frozen during a kill", colour: faultColour("kill"), shape: "beside" as const }]
        : []),
    ]) +
    frame({
      axis,
      height,
      label:
        "Faults by node: when each node was isolated, killed, frozen, paused, skewed or cut off",
      yTitle: "node",
      yTicks: ticks,
      body: bars,
    })
  );
}

function faultTable(faults: FaultSpan[]): string {
  if (faults.length === 0) return "<p>none</p>";
  const rows = faults
    .map(
      (f, i) =>
        `<tr class="fault-row"><td>${i + 1}</td><td>${f.from.toFixed(2)}</td><td>${f.to.toFixed(2)}</td><td><span class="sw sw-band" style="--c:${faultColour(f.kind)}"></span>${esc(f.kind)}</td><td>${esc(f.applied)}</td><td>${esc([f.healed, f.error].filter(Boolean).join("; "))}</td></tr>`,
    )
    .join("");
  return `<table><tr><th>#</th><th>from (s)</th><th>to (s)</th><th>kind</th><th>applied</th><th>heal, errors</th></tr>${rows}</table>`;
}

function parameterTable(parameters: Record<string, unknown>): string {
  return `<table>${Object.entries(parameters)
    .map(
      ([k, v]) =>
        `<tr><th>${esc(k)}</th><td>${esc(typeof v === "string" ? v : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x)))}</td></tr>`,
    )
    .join("")}</table>`;
}
