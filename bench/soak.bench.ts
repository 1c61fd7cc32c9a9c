// The soak run, measured: the documented soak command (docs/running.md, "Soak runs") run as a
// user runs it, sampled every minute: the control process's memory, the disk the run takes
// (history, node data and logs, Docker's logs of the nodes) and the ops per second. Prints
// figures; asserts nothing. Needs Docker and the node image (make setup).
//
//   FAULTLINE_SOAK_SECONDS=3600   the run's time limit (default one hour)
//   FAULTLINE_SOAK_SAMPLE_S=60    seconds between samples
//   FAULTLINE_SOAK_ARGS="..."     extra arguments for `faultline run` (default: none)
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { openSync, readSync, closeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const SECONDS = Number(process.env.FAULTLINE_SOAK_SECONDS ?? 3600);
const SAMPLE_S = Number(process.env.FAULTLINE_SOAK_SAMPLE_S ?? 60);
const EXTRA = (process.env.FAULTLINE_SOAK_ARGS ?? "").split(" ").filter(Boolean);
const store = mkdtempSync(join(tmpdir(), "faultline-soak-"));
const args = ["run", "--target", "raft", "--time-limit", String(SECONDS), "--store", store];
args.push(...EXTRA);

console.log(`soak: faultline ${args.join(" ")}`);
const child = spawn(join(ROOT, "bin/faultline"), args, {
  cwd: ROOT,
  stdio: ["ignore", "pipe", "pipe"],
});
let output = "";
child.stdout.on("data", (d) => (output += d));
child.stderr.on("data", (d) => (output += d));
const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));

const MB = 1024 * 1024;
const started = Date.now();
let historyOffset = 0;
let lastSampleMs = started;

function runDir(): string | undefined {
  const targetDir = join(store, "raft");
  if (!existsSync(targetDir)) return undefined;
  const runs = readdirSync(targetDir).filter((d) => d !== "latest");
  return runs.length ? join(targetDir, runs.sort().at(-1)!) : undefined;
}

/** Resident and peak memory of the control process (the node process bin/faultline execs). */
function memoryMb(): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** Completions recorded since the last sample, read from where the last read ended. */
function newCompletions(history: string): { ok: number; all: number } {
  if (!existsSync(history)) return { ok: 0, all: 0 };
  const size = statSync(history).size;
  const fd = openSync(history, "r");
  const buf = Buffer.alloc(size - historyOffset);
  readSync(fd, buf, 0, buf.length, historyOffset);
  closeSync(fd);
  const text = buf.toString("utf8");
  const end = text.lastIndexOf("\n") + 1; // a partly written last line waits for the next read
  historyOffset += Buffer.byteLength(text.slice(0, end));
  let ok = 0;
  let all = 0;
  for (const line of text.slice(0, end).split("\n")) {
    if (!line || line.includes('"process":"nemesis"') || line.includes('"type":"invoke"')) continue;
    all++;
    if (line.includes('"type":"ok"')) ok++;
  }
  return { ok, all };
}

function du(path: string): number {
  try {
    return Number(execFileSync("du", ["-sb", path], { encoding: "utf8" }).split("\t")[0]) / MB;
  } catch {
    return 0;
  }
}

/** The nodes' data and log files, and Docker's logs of them, MB (when the cluster is known). */
function clusterDiskMb(dir: string): { nodes: number; dockerLogs: number } {
  let cluster: string | undefined;
  for (const f of ["test.json", "results.json"]) {
    const p = join(dir, f);
    if (!cluster && existsSync(p)) cluster = JSON.parse(readFileSync(p, "utf8")).cluster;
  }
  if (!cluster) return { nodes: NaN, dockerLogs: NaN };
  const ids = execFileSync(
    "docker",
    [
      "ps",
      "-q",
      "--no-trunc",
      "--filter",
      `label=faultline.cluster=${cluster}`,
      "--filter",
      "label=faultline.role=node",
    ],
    { encoding: "utf8" },
  )
    .split("\n")
    .filter(Boolean);
  let nodes = 0;
  let dockerLogs = 0;
  for (const id of ids) {
    try {
      const out = execFileSync(
        "docker",
        ["exec", id, "du", "-sbc", "/var/lib/faultline", "/var/log/faultline"],
        // docker's complaint about a paused or stopped node stays out of the table
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
      nodes += Number(/(\d+)\s+total/.exec(out)?.[1] ?? 0) / MB;
    } catch {
      // A node that is down or paused by the nemesis right now: counted at the next sample.
    }
    const logPath = execFileSync("docker", ["inspect", "-f", "{{.LogPath}}", id], {
      encoding: "utf8",
    }).trim();
    for (const f of [logPath, `${logPath}.1`])
      if (existsSync(f)) dockerLogs += statSync(f).size / MB;
  }
  return { nodes, dockerLogs };
}

console.log("  min   ok/s  all/s  rss MB  peak MB  history MB  nodes MB  docker logs MB  load");
const timer = setInterval(() => {
  const dir = runDir();
  if (!dir) return;
  const now = Date.now();
  const { ok, all } = newCompletions(join(dir, "history.jsonl"));
  const secs = (now - lastSampleMs) / 1000;
  lastSampleMs = now;
  const mem = memoryMb();
  const disk = clusterDiskMb(dir);
  const cells = [
    ((now - started) / 60000).toFixed(1).padStart(5),
    (ok / secs).toFixed(0).padStart(6),
    (all / secs).toFixed(0).padStart(6),
    mem.rss.toFixed(0).padStart(7),
    mem.peak.toFixed(0).padStart(8),
    du(join(dir, "history.jsonl")).toFixed(1).padStart(11),
    disk.nodes.toFixed(1).padStart(9),
    disk.dockerLogs.toFixed(1).padStart(15),
    loadavg()[0]!.toFixed(1).padStart(5),
  ];
  console.log(" " + cells.join(" "));
}, SAMPLE_S * 1000);

const code = await exited;
clearInterval(timer);
const dir = runDir();
console.log(`soak: exit ${code} after ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log(
  output
    .split("\n")
    .filter((l) => /^\s+(linearizable|progress):|^Stored in/.test(l))
    .join("\n"),
);
if (dir && existsSync(join(dir, "results.json"))) {
  const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  console.log(`  ops: ${JSON.stringify(r.counts)}; live check: ${JSON.stringify(r.liveCheck)}`);
  console.log(`  store: ${du(dir).toFixed(1)} MB in ${dir}`);
}
