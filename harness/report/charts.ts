// SVG building blocks of the report's charts, all on one time axis (seconds since the run
// started), so every chart of a page, and any section a checker adds, lines up with the
// others: a frame with axes, ticks and axis titles, fault bands, and an HTML legend. Charts
// scale to the width of the window (viewBox, width 100%).
import type { FaultSpan } from "./faults.ts";

/** Plot geometry, in SVG units (the drawing scales to the window). */
export const PLOT = { width: 960, left: 70, right: 16, top: 10, bottom: 46 } as const;

export const OUTCOME_COLOURS = { ok: "#2e9d4c", fail: "#d9822b", info: "#8a5cc7" } as const;

/** One colour per fault kind; "other" for a nemesis op the registry does not know. */
export const FAULT_COLOURS: Record<string, string> = {
  partition: "#1f77b4",
  kill: "#d62728",
  pause: "#17becf",
  clock: "#bcbd22",
  loss: "#8c564b",
  "send-omission": "#e377c2",
  "receive-omission": "#7f7f7f",
  delay: "#ff9896",
  duplicate: "#98df8a",
  reorder: "#c5b0d5",
  byzantine: "#9467bd",
  other: "#b0a060",
};

export function faultColour(kind: string): string {
  return FAULT_COLOURS[kind] ?? FAULT_COLOURS.other!;
}

/** The time axis every chart of a report shares. */
export interface TimeAxis {
  /** Seconds the axis spans (from 0). */
  duration: number;
  /** Seconds -> x in SVG units. */
  x(seconds: number): number;
}

export function timeAxis(duration: number): TimeAxis {
  const d = Math.max(duration, 1e-3);
  return {
    duration: d,
    x: (s) => PLOT.left + (Math.min(Math.max(s, 0), d) / d) * (PLOT.width - PLOT.left - PLOT.right),
  };
}

export interface Tick {
  /** y in SVG units. */
  y: number;
  label: string;
}

export interface FrameInput {
  axis: TimeAxis;
  height: number;
  /** Read aloud by screen readers, and shown as the SVG's title. */
  label: string;
  yTitle: string;
  yTicks: Tick[];
  /** Faults shaded behind the data (omit for none). */
  faults?: FaultSpan[];
  /** The data: SVG elements drawn inside the plot area. */
  body: string;
  /** Horizontal grid lines at the y ticks (default true). */
  grid?: boolean;
}

/** A chart: plot area, fault bands, body, time axis with ticks and title, y ticks and title. */
export function frame(input: FrameInput): string {
  const { axis, height } = input;
  const bottom = height - PLOT.bottom;
  const right = PLOT.width - PLOT.right;
  const bands = (input.faults ?? [])
    .map((f) => {
      const x0 = axis.x(f.from);
      const w = Math.max(1.5, axis.x(f.to) - x0);
      const c = faultColour(f.kind);
      const tip = `<title>${esc(`${f.kind}: ${f.applied} (${f.from.toFixed(1)} s to ${f.to.toFixed(1)} s)`)}</title>`;
      // A faint band over the plot and a solid strip on top, so short faults still show.
      return `<g class="fault fault-${esc(f.kind)}"><rect x="${n(x0)}" y="${PLOT.top}" width="${n(w)}" height="${bottom - PLOT.top}" fill="${c}" fill-opacity="0.13"/><rect x="${n(x0)}" y="${PLOT.top}" width="${n(w)}" height="5" fill="${c}"/>${tip}</g>`;
    })
    .join("");
  const yAxis = input.yTicks
    .map(
      (t) =>
        `${input.grid === false ? "" : `<line x1="${PLOT.left}" x2="${right}" y1="${n(t.y)}" y2="${n(t.y)}" stroke="#eee"/>`}<text x="${PLOT.left - 6}" y="${n(t.y + 4)}" text-anchor="end">${esc(t.label)}</text>`,
    )
    .join("");
  const step = niceStep(axis.duration);
  let xTicks = "";
  for (let s = 0; s <= axis.duration + 1e-9; s += step) {
    const x = n(axis.x(s));
    xTicks += `<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" stroke="#999"/><text x="${x}" y="${bottom + 16}" text-anchor="middle">${trim(s)}</text>`;
  }
  const midY = (PLOT.top + bottom) / 2;
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${PLOT.width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="${esc(input.label)}"><title>${esc(input.label)}</title>${yAxis}${bands}${input.body}<line x1="${PLOT.left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#999"/><line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${bottom}" stroke="#999"/>${xTicks}<text class="axis-title" x="${n((PLOT.left + right) / 2)}" y="${height - 8}" text-anchor="middle">time since the run started (s)</text><text class="axis-title" x="14" y="${n(midY)}" text-anchor="middle" transform="rotate(-90 14 ${n(midY)})">${esc(input.yTitle)}</text></svg>`;
}

export interface LegendEntry {
  label: string;
  colour: string;
  /** A dot, a line, a band (a fault), or a band drawn lighter (beside a fault). */
  shape: "dot" | "line" | "band" | "beside";
}

/** The legend of a chart, as HTML above it. */
export function legend(entries: LegendEntry[]): string {
  return `<p class="legend">${entries
    .map(
      (e) =>
        `<span><span class="sw sw-${e.shape}" style="--c:${e.colour}"></span>${esc(e.label)}</span>`,
    )
    .join("")}</p>`;
}

/** Legend entries for the fault kinds present, in a fixed order. */
export function faultLegend(faults: FaultSpan[]): LegendEntry[] {
  const kinds = new Set(faults.map((f) => f.kind));
  return Object.keys(FAULT_COLOURS)
    .filter((k) => kinds.has(k))
    .concat([...kinds].filter((k) => !(k in FAULT_COLOURS)))
    .map((k) => ({ label: k, colour: faultColour(k), shape: "band" as const }));
}

/** A round step that gives about eight ticks over `range`. */
export function niceStep(range: number): number {
  const raw = range / 8;
  const mag = 10 ** Math.floor(Math.log10(raw > 0 ? raw : 1));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** A number for SVG: one decimal. */
export function n(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function trim(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );
}
