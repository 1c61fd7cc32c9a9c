// The store browser's own pages: the list of runs (filter and search in the page, two runs
// picked to compare), a folder's files, and an error. The run list's script only hides rows
// and builds the compare link; everything it shows is in the page as served.
import type { StoredRun } from "./runs.ts";

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:16px auto;padding:0 16px;color:#222;max-width:1500px}
h1{font-size:20px}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}tr.run:hover{background:#fafafa}.why{color:#555;font-size:12px;overflow-wrap:anywhere}
.verdict{display:inline-block;padding:1px 8px;border-radius:3px;color:#fff;font-weight:bold;font-size:12px}
.v-valid{background:#2e9d4c}.v-invalid{background:#c62828}.v-unknown{background:#777}.v-incomplete{background:#b26a00}.v-none{background:#aaa}
.controls{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin:12px 0}input#filter{width:28em;padding:4px}
code{background:#f6f6f6;padding:1px 4px}.muted{color:#777}`;

/** A store path ("raft/2026...") as a URL under /store/, each segment encoded. */
export function storeHref(rel: string, trailing = ""): string {
  const enc = rel === "" ? "" : rel.split("/").map(encodeURIComponent).join("/") + trailing;
  return `/store/${enc}`;
}

export function runListPage(storeLabel: string, runs: StoredRun[]): string {
  const targets = [...new Set(runs.map((r) => r.target))].sort();
  const rows = runs
    .map((r) => {
      const search = [
        r.path,
        r.target,
        r.variant,
        r.workload,
        r.faults.join(" "),
        r.verdict,
        r.date,
        r.seed ?? "",
        r.why,
      ]
        .join(" ")
        .toLowerCase();
      return `<tr class="run" data-path="${esc(r.path)}" data-verdict="${r.verdict}" data-target="${esc(r.target)}" data-search="${esc(search)}">
<td><input type="checkbox" class="pick" value="${esc(r.path)}" aria-label="pick ${esc(r.path)} to compare"></td>
<td>${esc(r.date.replace("T", " ").replace(/\.\d+Z$/, "Z"))}</td><td>${esc(r.target)}</td><td>${esc(r.variant)}</td><td>${esc(r.workload)}</td>
<td>${esc(r.faults.join(", ") || "none")}</td><td>${r.seed ?? "-"}</td>
<td><span class="verdict v-${r.verdict}">${r.verdict.toUpperCase()}</span>${r.why ? `<div class="why">${esc(r.why)}</div>` : ""}</td>
<td>${r.hasReport ? `<a class="report" href="${storeHref(r.path, "/report.html")}">report</a> ` : ""}<a class="files" href="${storeHref(r.path, "/")}">files</a></td></tr>`;
    })
    .join("\n");
  return page(
    `Faultline store: ${storeLabel}`,
    `<h1>Faultline store <code>${esc(storeLabel)}</code></h1>
<div class="controls">
<input id="filter" type="search" placeholder="Filter: words to find in target, variant, workload, faults, verdict, date, seed, why" autofocus>
<label>verdict <select id="verdict"><option value="">any</option>${["valid", "invalid", "unknown", "incomplete", "none"].map((v) => `<option>${v}</option>`).join("")}</select></label>
<label>target <select id="target"><option value="">any</option>${targets.map((t) => `<option>${esc(t)}</option>`).join("")}</select></label>
<span id="count">${runs.length} of ${runs.length} runs</span>
<button id="compare" disabled>Compare the two picked runs</button>
<a href="${storeHref("", "")}">all files</a>
</div>
${runs.length === 0 ? `<p>No runs in this store yet: <code>faultline run</code> stores one here.</p>` : ""}
<table id="runs"><thead><tr><th>pick</th><th>date (UTC)</th><th>target</th><th>variant</th><th>workload</th><th>faults</th><th>seed</th><th>verdict</th><th>open</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<script>
const rows = [...document.querySelectorAll("tr.run")];
const filter = document.getElementById("filter");
const verdict = document.getElementById("verdict");
const target = document.getElementById("target");
const count = document.getElementById("count");
const compare = document.getElementById("compare");
function apply() {
  const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let shown = 0;
  for (const r of rows) {
    const ok = words.every((w) => r.dataset.search.includes(w)) &&
      (!verdict.value || r.dataset.verdict === verdict.value) &&
      (!target.value || r.dataset.target === target.value);
    r.hidden = !ok;
    if (ok) shown++;
  }
  count.textContent = shown + " of " + rows.length + " runs";
}
function picked() { return [...document.querySelectorAll("input.pick:checked")].map((c) => c.value); }
function updateCompare() { compare.disabled = picked().length !== 2; }
filter.addEventListener("input", apply);
verdict.addEventListener("change", apply);
target.addEventListener("change", apply);
document.addEventListener("change", (e) => { if (e.target.classList.contains("pick")) updateCompare(); });
compare.addEventListener("click", () => {
  const [a, b] = picked();
  location.href = "/compare?a=" + encodeURIComponent(a) + "&b=" + encodeURIComponent(b);
});
apply();
updateCompare();
</script>`,
  );
}

export interface FolderEntry {
  name: string;
  dir: boolean;
  size: number;
}

/** A folder of the store: its files and folders, with links. */
export function folderPage(rel: string, entries: FolderEntry[]): string {
  const parent = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
  const rows = entries
    .map(({ name, dir, size }) => {
      const child = rel === "" ? name : `${rel}/${name}`;
      return `<tr><td><a href="${storeHref(child, dir ? "/" : "")}">${esc(name)}${dir ? "/" : ""}</a></td><td>${dir ? "" : size}</td></tr>`;
    })
    .join("\n");
  return page(
    `store/${rel}`,
    `<p><a href="/">all runs</a>${rel === "" ? "" : ` · <a href="${storeHref(parent, parent ? "/" : "")}">up</a>`}</p>
<h1><code>store/${esc(rel)}</code></h1>
<table><tr><th>name</th><th>bytes</th></tr>
${rows}
</table>`,
  );
}

export function errorPage(status: number, message: string): string {
  return page(
    `${status}`,
    `<h1>${status}</h1><p>${esc(message)}</p><p><a href="/">all runs</a></p>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>
${STYLE}
</style></head><body>
${body}
</body></html>
`;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!,
  );
}
