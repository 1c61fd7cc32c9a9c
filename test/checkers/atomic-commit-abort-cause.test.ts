// Non-triviality when the coordinator says why it aborted (`aborts` in its states reply,
// docs/atomic-commit.md): an abort at the vote timeout is a timing failure and left out
// (excludedAsTimeouts) when the coordinator's WAIT and the client's wait both lasted the
// timeout and a participant's vote was missing; an abort with every vote in, too early, or for
// a cause that excuses nothing is flagged; a history without `aborts` is judged as before
// (voteCameLate), including the clock-mapping miss seen in the bench's stored runs; and the
// workload carries `aborts` from the coordinator's reply into the history.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Op } from "../../histories/op.ts";
import { atomicCommitChecker, checkAtomicCommit } from "../../checkers/atomic-commit/index.ts";
import type { AtomicCommitResult } from "../../checkers/atomic-commit/index.ts";
import { getWorkload } from "../../harness/workloads/index.ts";

const MS = 1_000_000;

type Transitions = [string, number][];

interface Report {
  node: string;
  /** Run-clock ms the reply completed. */
  at: number;
  txns: Record<string, Transitions>;
  aborts?: unknown;
  /** The reply's latency: the node's `now` reads `at - latencyMs` (clocks agree otherwise). */
  latencyMs?: number;
  final?: boolean;
}

/** A history of one all-commit transaction t1 over `participants`, aborted (client fail) from
 *  `from` to `to`, and the states reports given; no fault. */
function history(
  participants: string[],
  span: [from: number, to: number],
  reports: Report[],
): Op[] {
  const votes = Object.fromEntries(participants.map((p) => [p, true]));
  const value = { id: "t1", votes };
  const index = -1; // assigned once sorted
  const ops: Op[] = [
    { index, time: span[0] * MS, process: 0, type: "invoke", f: "txn", node: "n1", value },
    {
      index,
      time: span[1] * MS,
      process: 0,
      type: "fail",
      f: "txn",
      node: "n1",
      value,
      error: "abort",
    },
  ];
  reports.forEach((r, i) => {
    const process = i + 1;
    const final = r.final === false ? {} : { final: true };
    const now = r.at - (r.latencyMs ?? 0);
    const role = r.node === "n1" ? "coordinator" : "participant";
    const reply: Record<string, unknown> = { role, now, txns: r.txns };
    if (r.aborts !== undefined) reply.aborts = r.aborts;
    const invokeAt = r.at - 1 - (r.latencyMs ?? 0);
    ops.push({
      index,
      time: invokeAt * MS,
      process,
      type: "invoke",
      f: "states",
      node: r.node,
      ...final,
    });
    ops.push({
      index,
      time: r.at * MS,
      process,
      type: "ok",
      f: "states",
      node: r.node,
      value: reply,
    });
  });
  return ops.sort((a, b) => a.time - b.time).map((op, i) => ({ ...op, index: i }));
}

function check(ops: Op[]): AtomicCommitResult {
  return checkAtomicCommit(ops, {}) as AtomicCommitResult;
}

function explained(r: AtomicCommitResult): string {
  return atomicCommitChecker.explain!(r).join("\n");
}

/** The bench's case (seed 873, t23): WAIT at 100, ABORT at the 500 ms timeout; n2 READY at 150,
 *  n3 READY at 590 on every clock, i.e. 10 ms before the ABORT: its vote was sent in time and
 *  reached the coordinator too late. */
function timedOut(aborts: unknown, opts: { waitMs?: number; span?: [number, number] } = {}): Op[] {
  const abortAt = 100 + (opts.waitMs ?? 500);
  return history(["n2", "n3"], opts.span ?? [90, abortAt + 20], [
    {
      node: "n1",
      at: 2000,
      txns: {
        t1: [
          ["WAIT", 100],
          ["ABORT", abortAt],
        ],
      },
      aborts,
    },
    {
      node: "n2",
      at: 2000,
      txns: {
        t1: [
          ["INIT", 150],
          ["READY", 150],
          ["ABORT", abortAt + 5],
        ],
      },
    },
    {
      node: "n3",
      at: 2000,
      txns: {
        t1: [
          ["INIT", 590],
          ["READY", 590],
          ["ABORT", abortAt + 6],
        ],
      },
    },
  ]);
}

const timeout = { cause: "timeout", missing: ["n3"], timeoutMs: 500 };

test("an abort the coordinator made at its vote timeout is a timing failure: left out, counted as excludedAsTimeouts", () => {
  const r = check(timedOut({ t1: timeout }));
  assert.equal(r.valid, true, r.reason);
  const t = r.nonTriviality;
  assert.deepEqual(
    [t.judged, t.excludedAsTimeouts, t.excludedAsLateVotes, t.violations],
    [0, 1, 0, 0],
  );
  assert.match(explained(r), /1 because the coordinator aborted at its vote timeout/);
  // The same history without the coordinator's cause: the old rule sees n3 READY before the
  // ABORT and flags it (the false alarm of the bench's stored runs).
  const old = check(timedOut(undefined));
  assert.equal(old.valid, false);
  assert.deepEqual([old.nonTriviality.violations, old.nonTriviality.excludedAsTimeouts], [1, 0]);
});

test("a stated timeout with every vote in, sooner than the timeout, or a client answered sooner is still a trivial abort", () => {
  const cases: [string, Op[], RegExp][] = [
    [
      "every vote in",
      timedOut({ t1: { ...timeout, missing: [] } }),
      /names no participant's vote as missing/,
    ],
    [
      "missing names a node outside the transaction",
      timedOut({ t1: { ...timeout, missing: ["n4"] } }),
      /names no participant's vote as missing/,
    ],
    [
      "no timeout declared",
      timedOut({ t1: { cause: "timeout", missing: ["n3"] } }),
      /not how long it is/,
    ],
    [
      "WAIT shorter than the timeout",
      timedOut({ t1: timeout }, { waitMs: 120 }),
      /after 120 ms in WAIT, short of its 500 ms timeout/,
    ],
    [
      // The coordinator's clock says it waited, the run clock says the client had its answer
      // 200 ms after asking: the wait did not happen.
      "client answered sooner",
      timedOut({ t1: timeout }, { span: [300, 500] }),
      /the client had its answer 200 ms after asking/,
    ],
  ];
  for (const [name, ops, why] of cases) {
    const r = check(ops);
    assert.equal(r.valid, false, name);
    assert.deepEqual(
      [r.nonTriviality.violations, r.nonTriviality.excludedAsTimeouts, r.nonTriviality.judged],
      [1, 0, 1],
      name,
    );
    assert.match(r.nonTriviality.txns[0]!.why ?? "", why, name);
    assert.match(explained(r), /t1 \(op 0\): aborted though n2, n3 all voted commit/, name);
  }
});

test("an abort with every vote on record and no timeout stays a violation: a restart with no fault, an unknown cause", () => {
  // Every participant READY long before the ABORT; the coordinator says it recovered in WAIT,
  // but no fault was active: nothing failed, so the abort is trivial.
  for (const [cause, why] of [
    [{ cause: "recovered" }, /on a restart \(found in WAIT\) while no fault was active/],
    [{ cause: "bored" }, /a cause the checker does not excuse: bored/],
  ] as const) {
    const r = check(timedOut({ t1: cause }));
    assert.equal(r.valid, false, cause.cause);
    assert.equal(r.nonTriviality.violations, 1);
    assert.match(r.nonTriviality.txns[0]!.why ?? "", why);
  }
});

test("an abort on a vote_abort is left out only when that participant never voted commit", () => {
  const run = (n3: Transitions) =>
    check(
      history(
        ["n2", "n3"],
        [90, 400],
        [
          {
            node: "n1",
            at: 2000,
            txns: {
              t1: [
                ["WAIT", 100],
                ["ABORT", 300],
              ],
            },
            aborts: { t1: { cause: "vote-abort", from: "n3" } },
          },
          {
            node: "n2",
            at: 2000,
            txns: {
              t1: [
                ["INIT", 150],
                ["READY", 150],
                ["ABORT", 305],
              ],
            },
          },
          { node: "n3", at: 2000, txns: { t1: n3 } },
        ],
      ),
    );
  // n3 was asked (need_decision) while still INIT, aborted on its own, then voted abort.
  const own = run([
    ["INIT", 250],
    ["ABORT", 250],
  ]);
  assert.equal(own.valid, true, own.reason);
  assert.deepEqual([own.nonTriviality.excludedAsAbortVotes, own.nonTriviality.judged], [1, 0]);
  assert.match(explained(own), /1 because a participant voted abort before ever voting commit/);
  // n3 reports READY: it voted commit, so the coordinator's "n3 voted abort" is not so.
  const lie = run([
    ["INIT", 150],
    ["READY", 150],
    ["ABORT", 306],
  ]);
  assert.equal(lie.valid, false);
  assert.match(lie.nonTriviality.txns[0]!.why ?? "", /from n3, which reported READY/);
});

test("a history without the coordinator's `aborts` is judged as before: a READY after the ABORT excuses it, one before does not", () => {
  const run = (readyMs: number) =>
    check(
      history(
        ["n2"],
        [90, 700],
        [
          {
            node: "n1",
            at: 2000,
            txns: {
              t1: [
                ["WAIT", 100],
                ["ABORT", 600],
              ],
            },
          },
          {
            node: "n2",
            at: 2000,
            txns: {
              t1: [
                ["INIT", readyMs],
                ["READY", readyMs],
                ["ABORT", 650],
              ],
            },
          },
        ],
      ),
    );
  const late = run(610);
  assert.equal(late.valid, true, late.reason);
  assert.deepEqual(
    [late.nonTriviality.excludedAsLateVotes, late.nonTriviality.excludedAsTimeouts],
    [1, 0],
  );
  const inHand = run(300);
  assert.equal(inHand.valid, false);
  assert.equal(inHand.nonTriviality.violations, 1);
  assert.equal(inHand.nonTriviality.txns[0]!.why, undefined, "the old rule gives no cause");
});

test("the old rule's miss (seed 872, t1106): READY 28 ms after the ABORT on the nodes' clocks maps before it through a slower reply", () => {
  // One clock for all nodes (containers on one host). n2's reply came back at once; the
  // coordinator's took 50 ms, which the per-reply offset counts as clock offset: its ABORT (at
  // 600) maps to 650, after n2's READY (at 628, 28 ms after the ABORT on every clock).
  const ops = (aborts?: unknown) =>
    history(
      ["n2"],
      [90, 700],
      [
        {
          node: "n1",
          at: 2000,
          txns: {
            t1: [
              ["WAIT", 100],
              ["ABORT", 600],
            ],
          },
          aborts,
          latencyMs: 50,
        },
        {
          node: "n2",
          at: 3000,
          txns: {
            t1: [
              ["INIT", 628],
              ["READY", 628],
              ["ABORT", 640],
            ],
          },
        },
      ],
    );
  assert.equal(check(ops()).nonTriviality.violations, 1, "the old rule flags it");
  const said = check(ops({ t1: { cause: "timeout", missing: ["n2"], timeoutMs: 500 } }));
  assert.equal(said.valid, true, said.reason);
  assert.equal(said.nonTriviality.excludedAsTimeouts, 1);
});

test("a malformed `aborts` makes the coordinator's report malformed (counted, left out), never guessed at", () => {
  for (const aborts of [
    [],
    { t1: { missing: ["n3"] } },
    { t1: { cause: "timeout", timeoutMs: "500" } },
  ]) {
    const r = check(timedOut(aborts));
    assert.equal(r.malformed.count, 1, JSON.stringify(aborts));
    assert.match(r.malformed.ops[0]!.why, /states reply from n1: .*aborts|abort cause of txn t1/);
  }
});

test("the atomic-commit workload keeps the coordinator's `aborts` in the states op, and adds none when the reply has none", () => {
  const { messages } = getWorkload("atomic-commit", { nodes: ["n1", "n2", "n3"] });
  const states = { f: "states", node: "n1" };
  const txns = {
    t1: [
      ["WAIT", 1],
      ["ABORT", 501],
    ],
  };
  const aborts = { t1: { cause: "timeout", missing: ["n3"], timeoutMs: 500 } };
  const reply = { type: "txn_states_ok", role: "coordinator", now: 600, txns };
  assert.deepEqual(messages.complete(states, { ...reply, aborts }), {
    type: "ok",
    value: { role: "coordinator", now: 600, txns, aborts },
  });
  assert.deepEqual(messages.complete(states, reply), {
    type: "ok",
    value: { role: "coordinator", now: 600, txns },
  });
});
