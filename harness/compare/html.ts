// compare.html: one self-contained page (inline CSS, no scripts, no external assets) with the
// table the console prints, each run's own row with a link to its report, and what every
// column means.
import { join, relative, resolve } from "node:path";
import { STORE_FILES } from "../store.ts";
import { summarize } from "./summary.ts";
import { columns, type Cell, type Comparison } from "./table.ts";

export function renderComparison(
  comparison: Comparison,
  pageDir: string,
  faultOrder: readonly string[] = [],
  /** Where each run's report is linked (default: its path relative to pageDir); the store
   *  browser links its own URLs. */
  reportHref: (runDir: string) => string = (dir) =>
    relative(resolve(pageDir), join(dir, STORE_FILES.report)),
): string {
  const summaries = comparison.rows.map((r) => r.summary);
  const cols = columns(summaries, faultOrder);
  const head = `<tr><th>contender</th>${cols.map((c) => `<th>${esc(c.header)}</th>`).join("")}</tr>`;
  const rows = comparison.rows
    .map(
      (row) =>
        `<tr><th>${esc(row.label)}</th>${cols.map((c) => td(c.cell(row.summary))).join("")}</tr>`,
    )
    .join("\n");
  // Each run on its own, with the same columns (of that run alone) and a link to its report.
  const runCols = columns(
    comparison.rows.flatMap((r) => r.runs.map((run) => summarize([run.metrics]))),
    faultOrder,
  );
  const runRows = comparison.rows
    .flatMap((row) =>
      row.runs.map((run) => {
        const s = summarize([run.metrics]);
        const link = reportHref(run.dir);
        const seed = run.test.seed === undefined ? "-" : String(run.test.seed);
        return `<tr><th>${esc(row.label)}</th><td>${esc(seed)}</td>${runCols.map((c) => td(c.cell(s))).join("")}<td><a href="${esc(link)}">report</a> <span class="dir">${esc(run.dir)}</span></td></tr>`;
      }),
    )
    .join("\n");
  const params = Object.entries(comparison.parameters)
    .map(
      ([k, v]) =>
        `<tr><th>${esc(k)}</th><td>${esc(typeof v === "string" ? v : (JSON.stringify(v) ?? "-"))}</td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Faultline comparison ${esc(comparison.createdAt)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f6f6f6} tr th:first-child{text-align:left}
.good{color:#1b7a36;font-weight:bold}.bad{color:#fff;background:#c62828;font-weight:bold}.unknown{color:#8a6d00;font-weight:bold}
.dir{color:#777;font-size:12px} dt{font-weight:bold;margin-top:6px} dd{margin-left:18px}
.notes{background:#fff7e0;padding:8px 12px}
</style></head><body>
<h1>Faultline comparison</h1>
<p>${comparison.rows.length} contenders, ${comparison.rows.reduce((n, r) => n + r.runs.length, 0)} runs; ${esc(comparison.createdAt)}</p>
${comparison.notes.length ? `<div class="notes">${comparison.notes.map((n) => `<p>${esc(n)}</p>`).join("")}</div>` : ""}
<table>
${head}
${rows}
</table>
<h2>Each run</h2>
<table>
<tr><th>contender</th><th>seed</th>${runCols.map((c) => `<th>${esc(c.header)}</th>`).join("")}<th>run</th></tr>
${runRows}
</table>
<h2>What the columns mean</h2>
<dl>
<dt>verdict, and one column per checker</dt><dd>The run's verdict and each checker's (results.json). Over several runs: the word when every run agrees, else the worst with how many runs came to it ("INVALID 1/3"); "none" for a run interrupted or stored without results.</dd>
<dt>avail quiet, avail &lt;fault&gt;</dt><dd>Of the client ops of the main phase invoked while a fault of that kind was in effect (from its start's invocation to its stop's completion), the share that completed ok (ok / (ok + fail + info)); "quiet": invoked while no fault was in effect.</dd>
<dt>ok/s</dt><dd>ok ops of the main phase per second of it (its first invocation to its last completion).</dd>
<dt>p50 ms, p99 ms</dt><dd>Latency of the ok ops of the main phase (nearest rank).</dd>
<dt>msgs/op</dt><dd>Node-to-node messages sent during the main phase, per ok op of it; "-" when the target cannot count its messages.</dd>
<dt>recover s med/max</dt><dd>After each heal in the main phase (its stop's completion): seconds until ok ops complete at half the quiet rate again, that is until the first ok completion of the earliest 0.5 s window holding at least half as many ok completions as 0.5 s of quiet time did on average (ok completions outside faults per second outside faults). Median (nearest rank) and maximum over the heals; "(k of n not)": after k heals no such window came before the next fault or the end of the main phase.</dd>
</dl>
<h2>Parameters</h2>
<table>${params}</table>
</body></html>
`;
}

function td(cell: Cell): string {
  return `<td${cell.tone ? ` class="${cell.tone}"` : ""}>${esc(cell.text)}</td>`;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!,
  );
}
