// make bench: run every bench/*.bench.ts in turn, each as its own `node --import tsx` process,
// so one benchmark's leftovers (timers, sockets, memory) cannot skew the next one's figures.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv.slice(2); // optional: names to run, e.g. `runtime`
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.ts$/, "")))
  .sort();

const failed: string[] = [];
for (const file of benches) {
  console.log(`\n== ${file}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", dir + file], { stdio: "inherit" });
  if (r.status !== 0) failed.push(file);
  console.log(
    `== ${file}: ${r.status === 0 ? "done" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
if (failed.length > 0) {
  console.error(`\n${failed.length} benchmark(s) failed: ${failed.join(", ")}`);
  process.exit(3);
}
