// The anomaly timeline of a linearizability violation: the ops of the failing key around the
// failing op, one lane per process, a bar from each op's invocation to its completion. The
// failing op and the ops it conflicts with are highlighted, and the longest linearization the
// search found is marked by numbered points joined by a line, one inside each of its ops (a
// point where the op can take effect, in the linearization's order). The x axis is the order
// of the invocations and completions in the history, not time to scale: bars that overlap
// overlapped in real time, and a history without times (an imported Jepsen one) draws alike.
// Times are in each bar's tooltip.
import type { Explanation, ExplainedOp } from "../../checkers/linearizable/index.ts";
import type { Op } from "../../histories/op.ts";
import { showValue } from "../../checkers/linearizable/values.ts";
import { esc, legend, n } from "./charts.ts";
import { registerCheckerSection, type SectionContext } from "./sections.ts";

const COLOURS = {
  failing: "#c62828",
  conflicting: "#ef8c00",
  linearized: "#5b8fd6",
  other: "#b8b8b8",
  line: "#1a3f7a",
} as const;

const LEFT = 70;
const RIGHT = 24;
const TOP = 22;
const BOTTOM = 40;
const LANE = 30;
const BAR = 18;
/** SVG units per event slot at least (the drawing widens, and scrolls, past 960). */
const SLOT = 16;
/** Label text width per character at 11px, in SVG units (an estimate, to skip labels that
 *  would not fit in their bar). */
const CHAR = 6.2;

type Role = "failing" | "conflicting" | "linearized" | "other";

interface Bar {
  op: ExplainedOp;
  roles: Set<Role>;
  /** Its place in the longest linearization (1-based), when it is in it. */
  rank?: number;
  stateAfter?: string;
  x0: number;
  x1: number;
  /** No completion in the history: the bar runs to the right edge. */
  open: boolean;
}

export function timelineSection(ctx: SectionContext) {
  const e = (ctx.result as { explanation?: Explanation }).explanation;
  if (ctx.result.valid !== false || !e || !Array.isArray(e.window) || e.window.length === 0)
    return undefined;
  return {
    title: `Anomaly timeline${ctx.name === "linearizable" ? "" : ` (${ctx.name})`}${e.key ? `: key ${e.key}` : ""}`,
    html: renderTimeline(e, ctx.history),
  };
}

registerCheckerSection("linearizable", timelineSection);

export function renderTimeline(e: Explanation, history: readonly Op[]): string {
  const same = (a: ExplainedOp, b: ExplainedOp) => a.index === b.index;
  // Every invocation and completion in the window, in history order: one slot each.
  const events = new Set<number>();
  for (const o of e.window) {
    events.add(o.index);
    if (o.completeIndex !== undefined) events.add(o.completeIndex);
  }
  const order = [...events].sort((a, b) => a - b);
  const slotOf = new Map(order.map((ev, i) => [ev, i]));
  const slots = order.length + 1; // one more: where the ops with no completion end
  const width = Math.max(960, LEFT + RIGHT + slots * SLOT);
  const x = (slot: number) => LEFT + ((slot + 0.5) / slots) * (width - LEFT - RIGHT);
  const processes = [...new Set(e.window.map((o) => o.process))].sort((a, b) => a - b);
  const laneY = (p: number) => TOP + processes.indexOf(p) * LANE;
  const height = TOP + processes.length * LANE + BOTTOM;

  const firstRank = e.prefixLength - e.prefix.length + 1;
  const bars: Bar[] = e.window.map((op) => {
    const roles = new Set<Role>();
    if (same(op, e.op)) roles.add("failing");
    if (e.conflicting.some((c) => same(c, op))) roles.add("conflicting");
    const at = e.prefix.findIndex((p) => same(p, op));
    if (at >= 0) roles.add("linearized");
    if (roles.size === 0) roles.add("other");
    const open = op.completeIndex === undefined;
    return {
      op,
      roles,
      ...(at >= 0 ? { rank: firstRank + at, stateAfter: e.prefix[at]!.stateAfter } : {}),
      x0: x(slotOf.get(op.index)!) - SLOT * 0.3,
      x1: open ? width - RIGHT : x(slotOf.get(op.completeIndex!)!) + SLOT * 0.3,
      open,
    };
  });

  const timeOf = timesByIndex(history);
  const drawn = bars.map((b) => drawBar(b, laneY(b.op.process), timeOf)).join("");
  const line = linearizationLine(bars, laneY);
  const lanes = processes
    .map((p) => {
      const y = laneY(p);
      return `<line x1="${LEFT}" x2="${width - RIGHT}" y1="${y + LANE / 2}" y2="${y + LANE / 2}" stroke="#eee"/><text x="${LEFT - 8}" y="${y + LANE / 2 + 4}" text-anchor="end">process ${p}</text>`;
    })
    .join("");
  const bottom = height - BOTTOM;
  const label = `Timeline of the ops of ${e.key ? `key ${e.key}` : "the history"} around op ${e.op.index}, which cannot be linearized`;
  const svg = `<svg class="chart timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" style="min-width:${Math.round(width * 0.75)}px" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>${lanes}${drawn}${line}<line x1="${LEFT}" x2="${width - RIGHT}" y1="${bottom}" y2="${bottom}" stroke="#999"/><text class="axis-title" x="${n((LEFT + width - RIGHT) / 2)}" y="${height - 12}" text-anchor="middle">invocations and completions in history order (not to scale; times in each bar's tooltip)</text></svg>`;

  const shownLinearized = bars.filter((b) => b.rank !== undefined).length;
  const failing = bars.find((b) => b.roles.has("failing"))!;
  const conflictCount = bars.filter((b) => b.roles.has("conflicting")).length;
  const notes = [
    `Op ${e.op.index} (process ${e.op.process}: ${opText(e.op)}) cannot be linearized${e.key ? ` on key ${e.key}` : ""}: after the longest linearization the search found (${e.prefixLength} op${e.prefixLength === 1 ? "" : "s"}, ${shownLinearized} of them in this window, numbered in their order) the state was ${e.stateAfterPrefix}.`,
    conflictCount > 0
      ? `Without any one of the ${conflictCount} op${conflictCount === 1 ? "" : "s"} it conflicts with, it could be linearized.`
      : `No single other op explains it: removing any one still leaves it impossible.`,
    `${e.window.length} ops of this key are drawn${failing.open ? "; a bar running to the right edge never completed" : ""}; a dashed bar is an op whose outcome is unknown (info).`,
  ];
  return (
    legend([
      { label: "failing op", colour: COLOURS.failing, shape: "band" },
      { label: "conflicting op", colour: COLOURS.conflicting, shape: "band" },
      { label: "in the longest linearization", colour: COLOURS.linearized, shape: "band" },
      { label: "other op", colour: COLOURS.other, shape: "band" },
      { label: "linearization order", colour: COLOURS.line, shape: "line" },
    ]) +
    `<div class="timeline-scroll" style="overflow-x:auto">${svg}</div>` +
    notes.map((t) => `<p class="timeline-note">${esc(t)}</p>`).join("")
  );
}

function drawBar(b: Bar, laneTop: number, timeOf: (index: number) => number | undefined): string {
  const role: Role = b.roles.has("failing")
    ? "failing"
    : b.roles.has("conflicting")
      ? "conflicting"
      : b.roles.has("linearized")
        ? "linearized"
        : "other";
  const y = laneTop + (LANE - BAR) / 2;
  const w = Math.max(4, b.x1 - b.x0);
  const info = b.op.type === "info";
  const stroke =
    role === "failing" ? `stroke="#7f0000" stroke-width="2"` : `stroke="#555" stroke-width="0.6"`;
  const dash = info || b.open ? ` stroke-dasharray="4 3" fill-opacity="0.55"` : "";
  const text = opText(b.op);
  const fits = text.length * CHAR + 6 <= w;
  const started = timeOf(b.op.index);
  const ended = b.op.completeIndex !== undefined ? timeOf(b.op.completeIndex) : undefined;
  const tip = [
    `op ${b.op.index}${b.op.completeIndex !== undefined ? `->${b.op.completeIndex}` : ""}, process ${b.op.process}: ${text} (${info ? "info: outcome unknown" : "ok"})`,
    started !== undefined
      ? `invoked at ${started.toFixed(3)} s${ended !== undefined ? `, completed at ${ended.toFixed(3)} s (${((ended - started) * 1000).toFixed(1)} ms)` : ""}`
      : "",
    role === "failing" ? "cannot be linearized" : "",
    b.roles.has("conflicting") ? "conflicts with the failing op" : "",
    b.rank !== undefined ? `linearized #${b.rank}; state after: ${b.stateAfter}` : "",
  ]
    .filter(Boolean)
    .join("\n");
  const classes = ["tl-op", ...[...b.roles].map((r) => `tl-${r}`)].join(" ");
  return `<g class="${classes}" data-index="${b.op.index}"><rect x="${n(b.x0)}" y="${y}" width="${n(w)}" height="${BAR}" rx="3" fill="${COLOURS[role]}" ${stroke}${dash}/>${fits ? `<text x="${n(b.x0 + w / 2)}" y="${y + BAR / 2 + 4}" text-anchor="middle" class="tl-label"${role === "failing" ? ` style="fill:#fff;font-weight:bold"` : ""}>${esc(text)}</text>` : ""}<title>${esc(tip)}</title></g>`;
}

/** One point inside each linearized op of the window, in linearization order, each no earlier
 *  than the one before (a linearization consistent with real time always allows that), joined
 *  by a line and numbered with the op's place in the linearization. */
function linearizationLine(bars: Bar[], laneY: (p: number) => number): string {
  const ranked = bars.filter((b) => b.rank !== undefined).sort((a, b) => a.rank! - b.rank!);
  if (ranked.length === 0) return "";
  let prev = -Infinity;
  const points = ranked.map((b) => {
    const px = Math.min(Math.max(prev + 4, b.x0 + 3), b.x1 - 3);
    prev = px;
    return { x: px, y: laneY(b.op.process) + LANE / 2, rank: b.rank! };
  });
  const path = points.map((p) => `${n(p.x)},${n(p.y)}`).join(" ");
  const dots = points
    .map(
      (p) =>
        `<circle class="tl-lin-point" cx="${n(p.x)}" cy="${n(p.y)}" r="3.2" fill="${COLOURS.line}"/><text class="tl-rank" x="${n(p.x)}" y="${n(p.y - BAR / 2 - 2)}" text-anchor="middle" style="font-size:9px;fill:${COLOURS.line}">${p.rank}</text>`,
    )
    .join("");
  return `<g class="tl-linearization"><polyline points="${path}" fill="none" stroke="${COLOURS.line}" stroke-width="1.4" stroke-opacity="0.8"/>${dots}</g>`;
}

/** `read 1`, `write 2`, `cas [2,3]`; a read that found nothing reads `read nil`. */
function opText(o: ExplainedOp): string {
  if (o.value === undefined) return o.f;
  return `${o.f} ${o.value === null ? "nil" : showValue(o.value)}`;
}

/** Seconds since the start of the op at each history index; undefined when the history
 *  records no times (all 0). */
function timesByIndex(history: readonly Op[]): (index: number) => number | undefined {
  const timed = history.some((o) => o.time > 0);
  if (!timed) return () => undefined;
  const byIndex = new Map<number, number>();
  for (const o of history) byIndex.set(o.index, o.time / 1e9);
  return (i) => byIndex.get(i);
}
