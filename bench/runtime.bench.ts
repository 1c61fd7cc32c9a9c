// Runtime figures (image cached): 5-node cluster start, partition apply/heal, pause/resume,
// kill/restart, teardown. Prints a table of medians over a few rounds; asserts nothing.
import { createCluster, dockerAvailable, type Cluster } from "../harness/runtime/index.ts";

const ROUNDS = 5;
const NODES = 5;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const halves = {
  n1: ["n3", "n4", "n5"],
  n2: ["n3", "n4", "n5"],
  n3: ["n1", "n2"],
  n4: ["n1", "n2"],
  n5: ["n1", "n2"],
};

if (!(await dockerAvailable())) {
  console.error("runtime bench: no Docker engine answers; run `make setup` first.");
  process.exit(5);
}

const figures: Record<string, number[]> = {};
const add = (name: string, ms: number) => (figures[name] ??= []).push(ms);

for (let round = 0; round < ROUNDS; round++) {
  let c: Cluster | undefined;
  add(
    `start ${NODES}-node cluster`,
    await time(async () => (c = await createCluster({ nodes: NODES }))),
  );
  const cluster = c!;
  add("apply partition (halves)", await time(() => cluster.partition(halves)));
  add("heal partition", await time(() => cluster.healNetwork()));
  add("pause one node", await time(() => cluster.pause("n2")));
  add("resume one node", await time(() => cluster.resume("n2")));
  add("kill one node", await time(() => cluster.kill("n3")));
  add("restart one node", await time(() => cluster.start("n3")));
  add("exec `true` in a node", await time(() => cluster.exec("n1", ["true"])));
  add("set clock offset", await time(() => cluster.setClockOffset("n4", 5)));
  add(`teardown ${NODES}-node cluster`, await time(() => cluster.teardown()));
}

console.log(`runtime (${ROUNDS} rounds, ms: median / min / max)`);
for (const [name, xs] of Object.entries(figures)) {
  const f = (x: number) => x.toFixed(0).padStart(6);
  console.log(`  ${name.padEnd(30)} ${f(median(xs))} ${f(Math.min(...xs))} ${f(Math.max(...xs))}`);
}
