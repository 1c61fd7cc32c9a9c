// For the store browser's and the timeline's tests: a store of three runs made without Docker,
// each from a hand-made history checked by the real checkers and written by the real
// artifact writer (results.json, report.html, junit.xml), as a run stores them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Op } from "../../histories/op.ts";
import { analyze } from "../../harness/run/analyze.ts";
import { writeArtifacts } from "../../harness/run/artifacts.ts";
import { createRunDir, linkLatest, writeJson, STORE_FILES } from "../../harness/store.ts";

const ms = (t: number) => Math.round(t * 1e6);

/** A history of two keys under lin-kv: key "a" quiet and correct; key "b" (when `stale`)
 *  with a read by process 3 that returns 1 after the write of 2 completed: that read cannot
 *  be linearized, and the write of 2 is the op it conflicts with. */
export function kvHistory(stale: boolean): Op[] {
  const events: (Omit<Op, "index"> & { time: number })[] = [];
  const op = (
    process: number,
    f: string,
    key: string,
    from: number,
    to: number,
    value: unknown,
    type: "ok" | "fail" | "info" = "ok",
  ) => {
    events.push({
      time: ms(from),
      process,
      type: "invoke",
      f,
      key,
      value: f === "read" ? null : value,
    });
    events.push({ time: ms(to), process, type, f, key, value });
  };
  for (let i = 0; i < 10; i++)
    op(
      i % 2,
      i % 3 === 0 ? "write" : "read",
      "a",
      i * 10,
      i * 10 + 4,
      i % 3 === 0 ? i : Math.floor(i / 3) * 3,
    );
  op(0, "write", "b", 120, 130, 1);
  op(1, "write", "b", 140, 150, 2);
  op(3, "read", "b", 160, 175, stale ? 1 : 2);
  op(4, "cas", "b", 165, 900, [2, 3], "info");
  op(0, "read", "b", 180, 185, stale ? 3 : 2);
  events.push({
    time: ms(50),
    process: "nemesis",
    type: "invoke",
    f: "start-partition",
    value: ["n1"],
  });
  events.push({
    time: ms(51),
    process: "nemesis",
    type: "info",
    f: "start-partition",
    value: ["n1"],
  });
  events.push({ time: ms(300), process: "nemesis", type: "invoke", f: "stop-partition" });
  events.push({ time: ms(301), process: "nemesis", type: "info", f: "stop-partition" });
  return events
    .map((e, i) => ({ e, i }))
    .sort((x, y) => x.e.time - y.e.time || x.i - y.i)
    .map(({ e }, index) => ({ ...e, index }) as Op);
}

export interface FixtureRun {
  dir: string;
  target: string;
  variant?: string;
  valid: boolean;
}

/** A store with a valid raft run, an invalid raft:local-read run and a valid paxos run (in
 *  that order of time), `latest` links as a run makes them, and a compare folder. */
export async function makeStore(root: string): Promise<FixtureRun[]> {
  const runs: FixtureRun[] = [];
  const specs = [
    { target: "raft", variant: undefined, stale: false, at: "2026-11-20T10:00:00.000Z" },
    { target: "raft", variant: "local-read", stale: true, at: "2026-11-21T11:00:00.000Z" },
    { target: "paxos", variant: undefined, stale: false, at: "2026-11-22T12:00:00.000Z" },
  ];
  for (const s of specs) {
    const dir = createRunDir(root, s.target, new Date(s.at));
    const history = kvHistory(s.stale);
    const checkers = [{ checker: "linearizable", options: { model: "kv" } }];
    const test = {
      name: `${s.target} lin-kv partition`,
      target: s.target,
      ...(s.variant ? { variant: s.variant } : {}),
      nodes: 3,
      workload: "lin-kv",
      nemesis: ["partition"],
      seed: 7,
      timeLimitSeconds: 1,
      startedAt: s.at,
      checkers,
    };
    writeJson(dir, STORE_FILES.test, test);
    writeFileSync(
      join(dir, STORE_FILES.history),
      history.map((o) => JSON.stringify(o)).join("\n") + "\n",
    );
    writeFileSync(join(dir, STORE_FILES.logs, "n1.log"), "n1 started\n");
    const analysis = await analyze(history, checkers);
    writeArtifacts({ dir, test, history, analysis, incomplete: false, durationSeconds: 1 });
    linkLatest(root, dir);
    runs.push({
      dir,
      target: s.target,
      ...(s.variant ? { variant: s.variant } : {}),
      valid: !s.stale,
    });
  }
  mkdirSync(join(root, "compare", "20261123T000000.000Z"), { recursive: true });
  return runs;
}
