// The comparison as data (compare.json) and as the table both the console and the HTML page
// show: the same columns, the same cell texts.
import chalk from "chalk";
import type { MeasuredRun } from "./stored.ts";
import { QUIET } from "./metrics.ts";
import {
  availabilityColumns,
  checkerColumns,
  summarize,
  type RowSummary,
  type VerdictTally,
} from "./summary.ts";

export interface ComparisonRow {
  /** raft, raft:local-read, bin:node.py, ... */
  label: string;
  runs: MeasuredRun[];
  summary: RowSummary;
}

export interface Comparison {
  createdAt: string;
  /** `run`: compare ran the contenders itself; `stored`: runs given as folders. */
  mode: "run" | "stored";
  /** What every run shared (workload, nemesis, nodes, seeds, time limit, ...). */
  parameters: Record<string, unknown>;
  rows: ComparisonRow[];
  /** Lines worth reading beside the table (runs that differ in seed or schedule, ...). */
  notes: string[];
}

export function rowOf(label: string, runs: MeasuredRun[]): ComparisonRow {
  return { label, runs, summary: summarize(runs.map((r) => r.metrics)) };
}

export type Tone = "good" | "bad" | "unknown" | undefined;

export interface Cell {
  text: string;
  tone?: Tone;
}

export interface Column {
  header: string;
  cell(row: RowSummary): Cell;
}

/** The table's columns for these rows: verdict, each checker, availability by fault kind,
 *  throughput, latency, messages per op, recovery. `faultOrder`: the --nemesis list. */
export function columns(rows: readonly RowSummary[], faultOrder: readonly string[] = []): Column[] {
  const cols: Column[] = [];
  if (rows.some((r) => r.runs > 1))
    cols.push({ header: "runs", cell: (r) => ({ text: `${r.runs}` }) });
  cols.push({ header: "verdict", cell: (r) => verdictCell(r.verdict, r.runs) });
  for (const name of checkerColumns(rows))
    cols.push({
      header: name,
      cell: (r) => (r.checkers[name] ? verdictCell(r.checkers[name], r.runs) : { text: "-" }),
    });
  for (const kind of availabilityColumns(rows, faultOrder))
    cols.push({
      header: kind === QUIET ? "avail quiet" : `avail ${kind}`,
      cell: (r) => ({ text: percent(r.availability[kind]?.share ?? null) }),
    });
  cols.push(
    { header: "ok/s", cell: (r) => ({ text: fixed(r.throughput, 1) }) },
    { header: "p50 ms", cell: (r) => ({ text: ms(r.latencyMs.p50) }) },
    { header: "p99 ms", cell: (r) => ({ text: ms(r.latencyMs.p99) }) },
    { header: "msgs/op", cell: (r) => ({ text: fixed(r.messagesPerOkOp, 1) }) },
    { header: "recover s med/max", cell: (r) => ({ text: recoveryText(r.recovery) }) },
  );
  return cols;
}

/** "valid", "INVALID", "unknown", "none" for one run; over several, the word when every run
 *  agrees, else the worst with how many runs came to it ("INVALID 1/3"). */
export function verdictCell(t: VerdictTally, runs: number): Cell {
  const n = t.valid + t.invalid + t.unknown + t.none;
  const [word, k, tone]: [string, number, Tone] =
    t.invalid > 0
      ? ["INVALID", t.invalid, "bad"]
      : t.unknown > 0
        ? ["unknown", t.unknown, "unknown"]
        : t.none > 0
          ? ["none", t.none, "unknown"]
          : ["valid", t.valid, "good"];
  return { text: runs <= 1 || k === n ? word : `${word} ${k}/${n}`, tone };
}

function percent(share: number | null): string {
  return share === null ? "-" : `${(share * 100).toFixed(1)}%`;
}

function fixed(v: number | null, digits: number): string {
  return v === null ? "-" : v.toFixed(digits);
}

function ms(v: number | null): string {
  return v === null ? "-" : v < 10 ? v.toFixed(1) : v.toFixed(0);
}

function recoveryText(r: RowSummary["recovery"]): string {
  if (r.heals === 0) return "-";
  const figures =
    r.medianSeconds === null ? "-" : `${r.medianSeconds.toFixed(1)}/${r.maxSeconds!.toFixed(1)}`;
  return r.notRecovered > 0 ? `${figures} (${r.notRecovered} of ${r.heals} not)` : figures;
}

/** The table as console lines, columns aligned, verdicts coloured. */
export function consoleTable(comparison: Comparison, faultOrder: readonly string[] = []): string[] {
  const summaries = comparison.rows.map((r) => r.summary);
  const cols = columns(summaries, faultOrder);
  const header = ["contender", ...cols.map((c) => c.header)];
  const body = comparison.rows.map((row) => [
    { text: row.label } as Cell,
    ...cols.map((c) => c.cell(row.summary)),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => cells[i]!.text.length)),
  );
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => paint(c, i === 0 ? c.text.padEnd(widths[i]!) : c.text.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [
    line(header.map((text) => ({ text }))),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...body.map(line),
  ];
}

function paint(cell: Cell, padded: string): string {
  if (cell.tone === "bad") return chalk.red(padded);
  if (cell.tone === "good") return chalk.green(padded);
  if (cell.tone === "unknown") return chalk.yellow(padded);
  return padded;
}

/** compare.json: the parameters, and per row its pooled figures and each run's. */
export function comparisonJson(comparison: Comparison): unknown {
  return {
    createdAt: comparison.createdAt,
    mode: comparison.mode,
    parameters: comparison.parameters,
    notes: comparison.notes,
    rows: comparison.rows.map((row) => ({
      label: row.label,
      summary: row.summary,
      runs: row.runs.map((run) => {
        // Every ok op's latency is too much for the file: the run's percentiles stand for it.
        const { okLatenciesMs: _latencies, ...metrics } = run.metrics;
        return { dir: run.dir, seed: run.test.seed, ...metrics, summary: summarize([run.metrics]) };
      }),
    })),
  };
}
