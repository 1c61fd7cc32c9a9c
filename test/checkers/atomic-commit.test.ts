// The atomic-commit checker: each property kept and broken on hand-made histories (the
// verdict, and the explanation naming the transaction), the blocking figures around a
// coordinator kill, the mapping of skewed node clocks, a property test over simulated correct
// runs with one decision flipped, and `faultline check --checker atomic-commit` on a file.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { execa } from "execa";
import type { Op, OpType } from "../../histories/op.ts";
import { getChecker } from "../../checkers/index.ts";
import {
  atomicCommitChecker,
  checkAtomicCommit,
  type AtomicCommitResult,
} from "../../checkers/atomic-commit/index.ts";

const MS = 1_000_000;
const ROOT = path.resolve(import.meta.dirname, "../..");

/** A state and its run-clock ms; `states` turns these into the node's wall clock. */
type At = [string, number];

/** Builds a history from events given at run-clock ms, in any order; `ops` sorts them. */
class H {
  private events: Op[] = [];
  private process = 0;

  private add(ms: number, op: Omit<Op, "index" | "time">): void {
    this.events.push({ index: -1, time: ms * MS, ...op } as Op);
  }

  /** One txn: invoked at `from`, completed at `to` as ok (commit), fail (abort) or info. */
  txn(
    id: string,
    votes: Record<string, boolean>,
    type: Exclude<OpType, "invoke">,
    from: number,
    to: number,
  ): void {
    const process = this.process++;
    const value = { id, votes };
    this.add(from, { process, type: "invoke", f: "txn", node: "n1", value });
    const end: Omit<Op, "index" | "time"> = { process, type, f: "txn", node: "n1", value };
    if (type === "ok") end.value = { ...value, decision: "commit" };
    if (type === "fail") end.error = "abort";
    if (type === "info") end.error = "timeout";
    this.add(to, end);
  }

  /** A states reply from `node` completed at `at`; its clock reads run time + `skewMs`. */
  states(
    node: string,
    at: number,
    txns: Record<string, At[]>,
    opts: { skewMs?: number; final?: boolean } = {},
  ): void {
    const skew = opts.skewMs ?? 0;
    const process = this.process++;
    const final = opts.final ? { final: true } : {};
    const role = node === "n1" ? "coordinator" : "participant";
    const wall: Record<string, [string, number][]> = {};
    for (const [id, ts] of Object.entries(txns)) wall[id] = ts.map(([s, t]) => [s, t + skew]);
    this.add(at - 1, { process, type: "invoke", f: "states", node, ...final });
    this.add(at, {
      process,
      type: "ok",
      f: "states",
      node,
      value: { role, now: at + skew, txns: wall },
      ...final,
    });
  }

  /** A nemesis fault record pair: invoke at `invoked`, info at `done`. */
  nemesis(f: string, nodes: string[], invoked: number, done: number, detail?: unknown): void {
    const extra = detail === undefined ? {} : { detail };
    this.add(invoked, { process: "nemesis", type: "invoke", f, value: nodes, ...extra });
    this.add(done, { process: "nemesis", type: "info", f, value: nodes, ...extra });
  }

  get ops(): Op[] {
    return [...this.events].sort((a, b) => a.time - b.time).map((op, index) => ({ ...op, index }));
  }
}

const check = (h: H, options = {}) => checkAtomicCommit(h.ops, options) as AtomicCommitResult;
const explained = (r: AtomicCommitResult) => atomicCommitChecker.explain(r).join("\n");

/** Final reports of every node, from the same transitions. */
function finals(h: H, at: number, byNode: Record<string, Record<string, At[]>>): void {
  for (const [node, txns] of Object.entries(byNode)) h.states(node, at, txns, { final: true });
}

/** t1 commits on n2, n3; t2 aborts (n3 votes abort); every node reports both at the end. */
function healthy(): H {
  const h = new H();
  h.txn("t1", { n2: true, n3: true }, "ok", 100, 120);
  h.txn("t2", { n2: true, n3: false }, "fail", 200, 220);
  h.states("n2", 150, {
    t1: [
      ["INIT", 101],
      ["READY", 102],
      ["COMMIT", 110],
    ],
  });
  finals(h, 1000, {
    n1: {
      t1: [
        ["WAIT", 101],
        ["COMMIT", 105],
      ],
      t2: [
        ["WAIT", 201],
        ["ABORT", 205],
      ],
    },
    n2: {
      t1: [
        ["INIT", 101],
        ["READY", 102],
        ["COMMIT", 110],
      ],
      t2: [
        ["INIT", 201],
        ["READY", 202],
        ["ABORT", 210],
      ],
    },
    n3: {
      t1: [
        ["INIT", 101],
        ["READY", 103],
        ["COMMIT", 111],
      ],
      t2: [
        ["INIT", 201],
        ["ABORT", 202],
      ],
    },
  });
  return h;
}

test("a healthy run is valid on every property, and the checker is registered", () => {
  const r = check(healthy());
  assert.equal(r.valid, true, r.reason);
  for (const p of ["agreement", "noReversal", "commitValidity", "nonTriviality"] as const)
    assert.equal(r[p].valid, true, p);
  assert.equal(r.termination.valid, true);
  assert.deepEqual(r.termination.judgedNodes, ["n2", "n3"]);
  assert.deepEqual(r.transactions, { total: 2, committed: 1, aborted: 1, unknown: 0 });
  assert.equal(r.nonTriviality.judged, 1);
  assert.equal(r.blocking.count, 3); // t1 on n2 and n3, t2 on n2
  assert.equal(getChecker("atomic-commit"), atomicCommitChecker);
  assert.match(explained(r), /agreement \(all that decide, decide the same\): ok/);
});

test("nothing to judge is unknown; a bad coordinator option is bad input", () => {
  const h = new H();
  h.txn("t1", { n2: true }, "info", 1, 2);
  const r = checkAtomicCommit(h.ops, {});
  assert.equal(r.valid, "unknown");
  assert.match(r.reason!, /nothing to judge/);
  assert.throws(() => checkAtomicCommit(healthy().ops, { coordinator: 3 }), /coordinator/);
});

test("agreement: nodes of an info txn deciding alike is fine; a COMMIT and an ABORT are not", () => {
  const ok = new H();
  ok.txn("t5", { n2: true }, "info", 10, 50);
  finals(ok, 100, {
    n1: {
      t5: [
        ["WAIT", 11],
        ["ABORT", 60],
      ],
    },
    n2: {
      t5: [
        ["INIT", 12],
        ["READY", 13],
        ["ABORT", 61],
      ],
    },
  });
  assert.equal(check(ok).valid, true);

  const bad = new H();
  bad.txn("t7", { n2: true, n3: true }, "ok", 10, 20);
  finals(bad, 100, {
    n1: {
      t7: [
        ["WAIT", 11],
        ["COMMIT", 15],
      ],
    },
    n2: {
      t7: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
      ],
    },
    n3: {
      t7: [
        ["INIT", 12],
        ["READY", 13],
        ["ABORT", 16],
      ],
    },
  });
  const r = check(bad);
  assert.equal(r.valid, false);
  assert.deepEqual(r.agreement.txns, [
    { txn: "t7", commit: ["client", "n1", "n2"], abort: ["n3"] },
  ]);
  assert.match(explained(r), /t7: COMMIT by client, n1, n2; ABORT by n3/);
  // n3 is a participant of a committed transaction without COMMIT: termination too.
  assert.equal(r.termination.valid, false);
});

test("no reversal: re-entering COMMIT is fine; COMMIT then ABORT, in one report or across reports, is not", () => {
  const ok = new H();
  ok.txn("t1", { n2: true }, "ok", 10, 20);
  finals(ok, 100, {
    n1: {
      t1: [
        ["WAIT", 11],
        ["COMMIT", 15],
      ],
    },
    n2: {
      t1: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
        ["COMMIT", 50],
      ],
    },
  });
  assert.equal(check(ok).noReversal.valid, true);
  assert.equal(check(ok).valid, true);

  const within = new H();
  within.txn("t3", { n2: true }, "ok", 10, 20);
  finals(within, 100, {
    n1: {
      t3: [
        ["WAIT", 11],
        ["COMMIT", 15],
      ],
    },
    n2: {
      t3: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
        ["ABORT", 40],
      ],
    },
  });
  const r = check(within);
  assert.equal(r.valid, false);
  assert.equal(r.noReversal.violations, 1);
  assert.equal(r.noReversal.reversals[0]!.withinReport, true);
  assert.match(explained(r), /t3 on n2: COMMIT then ABORT \(in states report op \d+\)/);

  const across = new H();
  across.txn("t4", { n2: true }, "fail", 10, 20);
  across.states("n2", 30, {
    t4: [
      ["INIT", 12],
      ["READY", 13],
      ["ABORT", 16],
    ],
  });
  finals(across, 100, {
    n1: {
      t4: [
        ["WAIT", 11],
        ["ABORT", 15],
      ],
    },
    n2: {
      t4: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
      ],
    },
  });
  const a = check(across);
  assert.equal(a.valid, false);
  assert.equal(a.agreement.valid, true, "n2's first decision was ABORT, as everyone's");
  assert.deepEqual(
    a.noReversal.reversals.map((v) => [v.txn, v.node, v.from, v.to, v.withinReport]),
    [["t4", "n2", "abort", "commit", false]],
  );
  assert.match(explained(a), /t4 on n2: ABORT then COMMIT \(by states report op \d+\)/);
});

test("commit validity: a txn with an abort vote that commits anywhere is named", () => {
  // The healthy run holds t2, with an abort vote, aborted everywhere.
  assert.equal(check(healthy()).commitValidity.valid, true);
  const bad = new H();
  bad.txn("t9", { n2: true, n3: false }, "ok", 10, 20);
  finals(bad, 100, {
    n1: {
      t9: [
        ["WAIT", 11],
        ["COMMIT", 15],
      ],
    },
    n2: {
      t9: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
      ],
    },
    n3: {
      t9: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
      ],
    },
  });
  const r = check(bad);
  assert.equal(r.valid, false);
  assert.equal(r.agreement.valid, true);
  assert.deepEqual(r.commitValidity.txns, [
    { txn: "t9", votedAbort: ["n3"], committedBy: ["client", "n1", "n2", "n3"] },
  ]);
  assert.match(explained(r), /t9: n3 voted abort, yet committed by client, n1, n2, n3/);
});

test("non-triviality: an all-commit abort is a violation, unless a fault overlapped it", () => {
  const run = (fault: boolean) => {
    const h = new H();
    h.txn("t6", { n2: true, n3: true }, "fail", 100, 200);
    if (fault) {
      // A partition healed (its info) just after t6 was invoked: it overlaps.
      h.nemesis("start-partition", ["n1", "n2", "n3"], 20, 30);
      h.nemesis("stop-partition", ["n1", "n2", "n3"], 90, 101);
    }
    finals(h, 1000, {
      n1: {
        t6: [
          ["WAIT", 101],
          ["ABORT", 150],
        ],
      },
      n2: {
        t6: [
          ["INIT", 101],
          ["READY", 102],
          ["ABORT", 151],
        ],
      },
      n3: {
        t6: [
          ["INIT", 101],
          ["READY", 102],
          ["ABORT", 151],
        ],
      },
    });
    return check(h);
  };
  const excused = run(true);
  assert.equal(excused.valid, true, excused.reason);
  assert.deepEqual([excused.nonTriviality.judged, excused.nonTriviality.excludedByFaults], [0, 1]);
  const r = run(false);
  assert.equal(r.valid, false);
  assert.equal(r.nonTriviality.violations, 1);
  assert.equal(r.nonTriviality.txns[0]!.txn, "t6");
  assert.match(explained(r), /t6 \(op 0\): aborted though n2, n3 all voted commit/);
});

test("termination: presumed abort is fine; READY at the final report, or a committed txn missing there, is not; no final report is unknown", () => {
  // n3 never heard of t2 (aborted): nothing owed.
  const ok = new H();
  ok.txn("t2", { n2: true, n3: true }, "info", 10, 500);
  finals(ok, 1000, {
    n1: {
      t2: [
        ["WAIT", 11],
        ["ABORT", 400],
      ],
    },
    n2: {
      t2: [
        ["INIT", 12],
        ["READY", 13],
        ["ABORT", 401],
      ],
    },
    n3: {},
  });
  assert.equal(check(ok).valid, true, check(ok).reason);

  const bad = new H();
  bad.txn("t1", { n2: true, n3: true }, "ok", 10, 20);
  bad.txn("t8", { n2: true }, "info", 30, 500);
  finals(bad, 1000, {
    n1: {
      t1: [
        ["WAIT", 11],
        ["COMMIT", 15],
      ],
      t8: [["WAIT", 31]],
    },
    n2: {
      t1: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
      ],
      t8: [
        ["INIT", 32],
        ["READY", 33],
      ],
    },
    n3: {},
  });
  const r = check(bad);
  assert.equal(r.valid, false);
  assert.deepEqual(
    r.termination.undecided.map((u) => [u.txn, u.node, u.state, u.committed]),
    [
      ["t1", "n3", "missing", true],
      ["t8", "n2", "READY", false],
    ],
  );
  const text = explained(r);
  assert.match(text, /t8 on n2: READY in its final report/);
  assert.match(
    text,
    /t1 on n3: missing from its final report \(op \d+\), yet the transaction committed/,
  );

  // n3 answered no final query: termination there is unknown, and so is the verdict.
  const h = new H();
  h.txn("t1", { n2: true, n3: true }, "ok", 10, 20);
  finals(h, 1000, {
    n1: {
      t1: [
        ["WAIT", 11],
        ["COMMIT", 15],
      ],
    },
    n2: {
      t1: [
        ["INIT", 12],
        ["READY", 13],
        ["COMMIT", 16],
      ],
    },
  });
  h.states("n3", 900, {
    t1: [
      ["INIT", 12],
      ["READY", 13],
    ],
  }); // not final
  const u = check(h);
  assert.equal(u.valid, "unknown");
  assert.equal(u.termination.valid, "unknown");
  assert.deepEqual(u.termination.nodesWithoutFinalReport, ["n3"]);
  assert.match(u.reason!, /no final states report from n3: termination is unknown there/);
});

/** t1 over n2, n3 and t2 over n2, READY when the coordinator is killed at 1020 (applied 1030)
 *  and restarted at 3000 (running 3030); t1 then commits, t2 never decides. */
function killedCoordinator(skew: Record<string, number> = {}): H {
  const h = new H();
  h.txn("t1", { n2: true, n3: true }, "info", 1000, 2000);
  h.txn("t2", { n2: true }, "info", 1001, 2001);
  h.nemesis("kill", ["n1"], 1020, 1030);
  h.nemesis("start", ["n1"], 3000, 3030);
  const s = (node: string) => ({ skewMs: skew[node] ?? 0 });
  // A report during the outage: both READY.
  h.states(
    "n2",
    1500,
    {
      t1: [
        ["INIT", 1005],
        ["READY", 1010],
      ],
      t2: [
        ["INIT", 1006],
        ["READY", 1025],
      ],
    },
    s("n2"),
  );
  h.states(
    "n3",
    1501,
    {
      t1: [
        ["INIT", 1005],
        ["READY", 1012],
      ],
    },
    s("n3"),
  );
  for (const round of [5000, 5010]) {
    h.states(
      "n1",
      round - 4,
      {
        t1: [
          ["WAIT", 1002],
          ["COMMIT", 3090],
        ],
        t2: [["WAIT", 1003]],
      },
      { ...s("n1"), final: true },
    );
    h.states(
      "n2",
      round - 2,
      {
        t1: [
          ["INIT", 1005],
          ["READY", 1010],
          ["COMMIT", 3100],
        ],
        t2: [
          ["INIT", 1006],
          ["READY", 1025],
        ],
      },
      { ...s("n2"), final: true },
    );
    h.states(
      "n3",
      round,
      {
        t1: [
          ["INIT", 1005],
          ["READY", 1012],
          ["COMMIT", 3150],
        ],
      },
      { ...s("n3"), final: true },
    );
  }
  return h;
}

test("blocking: READY spans across a coordinator kill, with the exact figures", () => {
  const r = check(killedCoordinator());
  // t2 stays READY on n2: a termination violation, and a block until the end (5010 ms).
  assert.equal(r.valid, false);
  assert.deepEqual(
    r.termination.undecided.map((u) => [u.txn, u.node]),
    [["t2", "n2"]],
  );
  assert.deepEqual(r.blocking, {
    count: 3,
    undecided: 1,
    withCoordinatorDown: 3,
    medianMs: 2138, // t1 on n3: 1012 -> 3150
    p99Ms: 3985, // t2 on n2: 1025 -> 5010
    maxMs: 3985,
    totalReadyMs: 2090 + 2138 + 3985,
    coordinatorDownMs: 6000, // each span covers the whole outage, 1030 -> 3030
    coordinatorDown: { intervals: 1, totalMs: 2000 },
    longest: [
      { txn: "t2", node: "n2", readyMs: 3985, coordinatorDownMs: 2000, decided: false },
      { txn: "t1", node: "n3", readyMs: 2138, coordinatorDownMs: 2000, decided: true },
      { txn: "t1", node: "n2", readyMs: 2090, coordinatorDownMs: 2000, decided: true },
    ],
  });
  const text = explained(r);
  assert.match(text, /3 READY spans; median 2138 ms, p99 3985 ms, max 3985 ms; 1 still READY/);
  assert.match(text, /t2 on n2: READY 3985 ms \(never decided\), 2000 ms of it with n1 down/);
});

test("clock offsets: a node whose clock is 100 s off is measured as if it were right", () => {
  const right = check(killedCoordinator()).blocking;
  for (const skew of [100_000, -100_000]) {
    const skewed = check(killedCoordinator({ n2: skew, n1: -skew / 2 })).blocking;
    assert.deepEqual(skewed, right, `skew ${skew}`);
  }
  // Without the mapping, n2's READY (run 1010) would sit 100 s away from the outage.
  const r = check(killedCoordinator({ n2: 100_000 }));
  const t1n2 = r.blocking.longest.find((b) => b.txn === "t1" && b.node === "n2")!;
  assert.deepEqual([t1n2.readyMs, t1n2.coordinatorDownMs], [2090, 2000]);
});

test("pause/resume, and a staggered kill that froze the coordinator, count as the coordinator down", () => {
  const run = (fault: (h: H) => void) => {
    const h = new H();
    h.txn("t1", { n2: true }, "ok", 100, 900);
    fault(h);
    finals(h, 2000, {
      n1: {
        t1: [
          ["WAIT", 101],
          ["COMMIT", 800],
        ],
      },
      n2: {
        t1: [
          ["INIT", 102],
          ["READY", 200],
          ["COMMIT", 850],
        ],
      },
    });
    return check(h);
  };
  const paused = run((h) => {
    h.nemesis("pause", ["n1"], 290, 300);
    h.nemesis("resume", ["n1"], 490, 500);
  });
  assert.deepEqual(
    [paused.blocking.longest[0]!.readyMs, paused.blocking.coordinatorDownMs],
    [650, 200],
  );
  // The client's ok came while a fault was active: nothing to judge for non-triviality.
  assert.equal(paused.nonTriviality.excludedByFaults, 1);
  const frozen = run((h) => {
    h.nemesis("kill", ["n2", "n3"], 390, 400, { who: "leader-majority", frozen: ["n1"] });
    h.nemesis("start", ["n2", "n3"], 690, 700);
  });
  assert.equal(frozen.blocking.coordinatorDownMs, 300);
  // A fault on other nodes alone leaves the coordinator up.
  const other = run((h) => {
    h.nemesis("kill", ["n3"], 390, 400);
    h.nemesis("start", ["n3"], 690, 700);
    h.nemesis("start-partition", ["n1"], 300, 310);
    h.nemesis("stop-partition", ["n1"], 600, 610);
  });
  assert.equal(other.blocking.coordinatorDownMs, 0);
  assert.equal(other.faults, 2);
});

// ---- property test: simulated correct runs, then one decision flipped ----

interface SimTxn {
  /** Which of the participants n2.. take part (bit i: n(i+2)), and their votes. */
  members: number;
  votes: boolean[];
  /** The client times out (info); then the decision is commit if `commitIfUnknown` and all
   *  voted commit. */
  clientTimesOut: boolean;
  commitIfUnknown: boolean;
  /** For aborted transactions: participants that never heard of it (presumed abort). */
  unaware: boolean[];
  /** ms between the votes and the decision, and per participant before it learns it. */
  decideAfter: number;
  learnAfter: number[];
}

interface Sim {
  participants: number;
  txns: SimTxn[];
  /** Per node (n1 first), its clock's offset from the run clock, ms. */
  skews: number[];
  /** Times (as shares of the run) of states queries during the run, and to which node. */
  queries: { at: number; node: number }[];
}

const simArb: fc.Arbitrary<Sim> = fc.integer({ min: 1, max: 4 }).chain((participants) =>
  fc.record({
    participants: fc.constant(participants),
    txns: fc.array(
      fc.record({
        members: fc.integer({ min: 1, max: (1 << participants) - 1 }),
        votes: fc.array(
          fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
          {
            minLength: participants,
            maxLength: participants,
          },
        ),
        clientTimesOut: fc.boolean(),
        commitIfUnknown: fc.boolean(),
        unaware: fc.array(fc.boolean(), { minLength: participants, maxLength: participants }),
        decideAfter: fc.integer({ min: 1, max: 50 }),
        learnAfter: fc.array(fc.integer({ min: 0, max: 30 }), {
          minLength: participants,
          maxLength: participants,
        }),
      }),
      { minLength: 1, maxLength: 25 },
    ),
    skews: fc.array(fc.integer({ min: -200_000, max: 200_000 }), {
      minLength: participants + 1,
      maxLength: participants + 1,
    }),
    queries: fc.array(
      fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        node: fc.nat({ max: participants }),
      }),
      { maxLength: 15 },
    ),
  }),
);

/** A correct run of `sim`: every transaction decided one way everywhere, transitions in time
 *  order, every node queried twice at the end (final). */
function simulate(sim: Sim): Op[] {
  const h = new H();
  const nodes = Array.from({ length: sim.participants + 1 }, (_, i) => `n${i + 1}`);
  const known = new Map<string, Map<string, At[]>>(nodes.map((n) => [n, new Map()]));
  let t = 10;
  sim.txns.forEach((x, i) => {
    const id = `t${i + 1}`;
    const members = nodes.slice(1).filter((_, p) => x.members & (1 << p));
    const votes = Object.fromEntries(members.map((n) => [n, x.votes[nodes.indexOf(n) - 1]!]));
    const allYes = members.every((n) => votes[n]);
    const commit = allYes && (!x.clientTimesOut || x.commitIfUnknown);
    const decided = t + 3 + x.decideAfter;
    known.get("n1")!.set(id, [
      ["WAIT", t + 1],
      [commit ? "COMMIT" : "ABORT", decided],
    ]);
    for (const n of members) {
      const p = nodes.indexOf(n) - 1;
      if (!commit && x.unaware[p]) continue;
      const learned = decided + 1 + x.learnAfter[p]!;
      known.get(n)!.set(
        id,
        votes[n]
          ? [
              ["INIT", t + 2],
              ["READY", t + 3],
              [commit ? "COMMIT" : "ABORT", learned],
            ]
          : [
              ["INIT", t + 2],
              ["ABORT", t + 3],
            ],
      );
    }
    const done = decided + 40;
    h.txn(id, votes, x.clientTimesOut ? "info" : commit ? "ok" : "fail", t, done);
    t = done + 1;
  });
  const end = t + 100;
  const upTo = (node: string, at: number) => {
    const txns: Record<string, At[]> = {};
    for (const [id, ts] of known.get(node)!) {
      const seen = ts.filter(([, ms]) => ms < at);
      if (seen.length > 0) txns[id] = seen;
    }
    return txns;
  };
  for (const q of sim.queries) {
    const at = 2 + Math.floor(q.at * (end - 10));
    const node = nodes[q.node]!;
    h.states(node, at, upTo(node, at), { skewMs: sim.skews[q.node]! });
  }
  for (const round of [end, end + 20])
    nodes.forEach((node, i) =>
      h.states(node, round + i, upTo(node, round), { skewMs: sim.skews[i]!, final: true }),
    );
  return h.ops;
}

const decisionStates = new Set(["COMMIT", "ABORT"]);

test("property: simulated correct runs are valid; flipping any one decision is caught and named", () => {
  fc.assert(
    fc.property(simArb, fc.nat(), fc.constantFrom("client", "node", "report"), (sim, pick, how) => {
      const history = simulate(sim);
      const r = checkAtomicCommit(history, {}) as AtomicCommitResult;
      assert.equal(r.valid, true, r.reason);
      assert.equal(r.blocking.undecided, 0);

      // One decision flipped: the client's outcome, one node's in every report it made (a
      // node that consistently decided the other way), or one node's in a single report.
      const mutated = structuredClone(history);
      let txn: string;
      const clientOps = mutated.filter(
        (op) => op.f === "txn" && (op.type === "ok" || op.type === "fail"),
      );
      if (how === "client" && clientOps.length > 0) {
        const op = clientOps[pick % clientOps.length]!;
        txn = (op.value as { id: string }).id;
        if (op.type === "ok") {
          op.type = "fail";
          op.error = "abort";
        } else {
          op.type = "ok";
          op.value = { ...(op.value as object), decision: "commit" };
        }
      } else {
        const decisions: { ts: [string, number][]; txn: string; node: string }[] = [];
        for (const op of mutated) {
          if (op.f !== "states" || op.type !== "ok") continue;
          const txns = (op.value as { txns: Record<string, [string, number][]> }).txns;
          for (const [id, ts] of Object.entries(txns))
            if (decisionStates.has(ts[ts.length - 1]![0]))
              decisions.push({ ts, txn: id, node: op.node! });
        }
        const d = decisions[pick % decisions.length]!;
        txn = d.txn;
        const flip = (ts: [string, number][]) => {
          const last = ts[ts.length - 1]!;
          last[0] = last[0] === "COMMIT" ? "ABORT" : "COMMIT";
        };
        if (how === "report") flip(d.ts);
        else
          for (const other of decisions)
            if (other.txn === d.txn && other.node === d.node) flip(other.ts);
      }
      const broken = checkAtomicCommit(mutated, {}) as AtomicCommitResult;
      assert.equal(broken.valid, false, `flipped ${txn}`);
      assert.match(explained(broken), new RegExp(`\\b${txn}\\b`));
    }),
    { numRuns: 300 },
  );
});

// ---- through the CLI ----

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-ac-"));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let files = 0;

function jsonlFile(ops: Op[]): string {
  const file = path.join(tmp, `history-${files++}.jsonl`);
  fs.writeFileSync(file, ops.map((o) => JSON.stringify(o)).join("\n") + "\n");
  return file;
}

test("faultline check --checker atomic-commit: exit 0 on a valid history, 1 naming the txn on a broken one", async () => {
  const faultline = (...args: string[]) =>
    execa(path.join(ROOT, "bin/faultline"), args, { reject: false, cwd: ROOT });
  const good = await faultline("check", "--checker", "atomic-commit", jsonlFile(healthy().ops));
  assert.equal(good.exitCode, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /termination \(every participant decided by its final report\): ok/);

  const bad = await faultline(
    "check",
    "--checker",
    "atomic-commit",
    jsonlFile(killedCoordinator().ops),
    "--json",
  );
  assert.equal(bad.exitCode, 1, bad.stdout + bad.stderr);
  const result = JSON.parse(bad.stdout).results["atomic-commit"] as AtomicCommitResult;
  assert.equal(result.valid, false);
  assert.equal(result.blocking.maxMs, 3985);
  const text = await faultline(
    "check",
    "--checker",
    "atomic-commit",
    jsonlFile(killedCoordinator().ops),
  );
  assert.equal(text.exitCode, 1);
  assert.match(text.stdout, /t2 on n2: READY in its final report/);
});

test("commit from READY: a participant whose report shows COMMIT with no READY before it lost its vote; the coordinator is not judged", () => {
  const h = healthy();
  // n3 restarted: its log kept INIT and COMMIT of t1, not the READY it voted from.
  h.states(
    "n3",
    500,
    {
      t1: [
        ["INIT", 101],
        ["COMMIT", 111],
      ],
    },
    {},
  );
  const r = check(h);
  assert.equal(r.valid, false);
  assert.equal(r.commitFromReady.violations, 1);
  assert.deepEqual(r.commitFromReady.commits[0], { txn: "t1", node: "n3", report: 7 });
  assert.match(r.reason!, /commit from READY \(1\)/);
  assert.match(explained(r), /t1 on n3: COMMIT with no READY before it \(states report op 7\)/);
  // The healthy run's coordinator reaches COMMIT from WAIT, never READY: not a violation.
  assert.equal(check(healthy()).commitFromReady.violations, 0);
});

test("non-triviality judges only the coordinator's aborts: a refused or not-ready request never reached the protocol", () => {
  const h = new H();
  h.txn("t7", { n2: true }, "fail", 100, 101);
  const ops = h.ops.map((op) =>
    op.type === "fail" ? { ...op, error: [11, "temporarily unavailable: node not ready"] } : op,
  );
  finals(h, 1000, { n1: {}, n2: {} });
  const withFinals = [
    ...ops,
    ...h.ops.filter((op) => op.f === "states").map((op) => ({ ...op })),
  ].map((op, index) => ({ ...op, index }));
  const r = checkAtomicCommit(withFinals, {}) as AtomicCommitResult;
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.nonTriviality.judged, 0);
  // The same abort answered by the coordinator is judged, and breaks non-triviality.
  const decided = new H();
  decided.txn("t7", { n2: true }, "fail", 100, 101);
  finals(decided, 1000, { n1: {}, n2: {} });
  assert.equal(check(decided).nonTriviality.violations, 1);
});

test("non-triviality leaves out an abort decided before a participant's vote existed: the coordinator timed out", () => {
  const run = (lateReadyMs: number) => {
    const h = new H();
    h.txn("t7", { n2: true, n3: true }, "fail", 100, 800);
    finals(h, 1000, {
      n1: {
        t7: [
          ["WAIT", 101],
          ["ABORT", 700],
        ],
      },
      n2: {
        t7: [
          ["INIT", 101],
          ["READY", 102],
          ["ABORT", 701],
        ],
      },
      // n3 got the vote request late (a stalled machine): it voted after the coordinator's ABORT.
      n3: {
        t7: [
          ["INIT", lateReadyMs],
          ["READY", lateReadyMs],
          ["ABORT", lateReadyMs + 1],
        ],
      },
    });
    return check(h);
  };
  const late = run(705);
  assert.equal(late.valid, true, late.reason);
  assert.deepEqual([late.nonTriviality.judged, late.nonTriviality.excludedAsLateVotes], [0, 1]);
  assert.match(explained(late), /1 because a vote came after the coordinator's abort/);
  // The same votes in hand before the ABORT: the coordinator aborted for nothing.
  const inHand = run(300);
  assert.equal(inHand.nonTriviality.violations, 1);
  assert.equal(inHand.nonTriviality.excludedAsLateVotes, 0);
});
