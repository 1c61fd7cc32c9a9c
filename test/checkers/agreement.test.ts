// The agreement checker on hand-made histories: a valid run, BA1 broken, BA2 broken, a faulty
// primary whose backups agree on a value other than its input (allowed), traitor backups left
// out, an undecided backup (termination), nodes hit by a kill left out, the live check waiting
// for every node's answer; and the traitor windows of the issue-9 contract.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Op, OpType } from "../../histories/op.ts";
import { getChecker } from "../../checkers/index.ts";
import { checkAgreement } from "../../checkers/agreement/index.ts";
import { faultyDuring, traitorWindows } from "../../checkers/byzantine/traitors.ts";

const MS = 1_000_000;
const NODES = ["n1", "n2", "n3", "n4"];

/** Builds a history from events at run-clock ms, in any order; `ops` sorts them. */
class H {
  private events: (Omit<Op, "index"> & { time: number })[] = [];
  private process = 0;

  private pair(
    ms: number,
    f: string,
    node: string,
    value: unknown,
    type: Exclude<OpType, "invoke">,
    completed: unknown,
  ): void {
    const process = this.process++;
    this.events.push({ time: ms * MS, process, type: "invoke", f, node, value });
    this.events.push({ time: (ms + 5) * MS, process, type, f, node, value: completed });
  }

  /** The client gives `value` to `primary` for `instance` at `ms`. */
  propose(
    instance: string,
    primary: string,
    value: string,
    ms: number,
    type: "ok" | "info" = "ok",
  ) {
    const v = { instance, value };
    this.pair(ms, "propose", primary, v, type, v);
    return this;
  }

  /** Each node's answer (null: not decided) at `ms`; "no answer" records an info read. */
  reads(instance: string, ms: number, stored: Record<string, string | null | "no answer">) {
    for (const [node, value] of Object.entries(stored)) {
      if (value === "no answer")
        this.pair(ms, "read_decision", node, { instance }, "info", { instance });
      else this.pair(ms, "read_decision", node, { instance }, "ok", { instance, value });
    }
    return this;
  }

  /** One nemesis fault window: start invoke/info at `from`, stop invoke/info at `to`. */
  fault(start: string, stop: string, nodes: string[], from: number, to?: number) {
    const n = (time: number, type: OpType, f: string) =>
      this.events.push({ time: time * MS, process: "nemesis", type, f, value: nodes });
    n(from, "invoke", start);
    n(from + 1, "info", start);
    if (to !== undefined) {
      n(to, "invoke", stop);
      n(to + 1, "info", stop);
    }
    return this;
  }

  traitor(nodes: string[], from: number, to?: number) {
    return this.fault("start-byzantine", "stop-byzantine", nodes, from, to);
  }

  ops(): Op[] {
    return this.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.time - b.e.time || a.i - b.i)
      .map(({ e }, index) => ({ ...e, index }) as Op);
  }
}

const check = (h: H, options = {}) => checkAgreement(h.ops(), { nodes: NODES, ...options });
const explained = (h: H) => getChecker("agreement").explain(check(h)).join("\n");

test("every backup stores the primary's value: valid, and each instance is judged", () => {
  const h = new H()
    .propose("a1", "n1", "T", 0)
    .reads("a1", 2000, { n1: "T", n2: "T", n3: "T", n4: "T" })
    .propose("a2", "n2", "F", 100)
    .reads("a2", 2100, { n1: "F", n2: "F", n3: "F", n4: "F" });
  const r = check(h);
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.instances.total, 2);
  assert.equal(r.instances.judged, 2);
  assert.equal(r.ba1.violations + r.ba2.violations + r.termination.violations, 0);
  assert.match(r.reason!, /2 instances agreed/);
});

test("BA1: two nonfaulty backups storing different values is a violation, named with what each stored", () => {
  // The primary n1 is a traitor, so BA2 does not bind; BA1 does.
  const h = new H()
    .traitor(["n1"], 0, 5000)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, { n1: "T", n2: "T", n3: "F", n4: "T" });
  const r = check(h);
  assert.equal(r.valid, false);
  assert.equal(r.ba1.violations, 1);
  assert.equal(r.ba2.violations, 0);
  assert.deepEqual(r.ba1.instances[0]!.stored, { n2: "T", n3: "F", n4: "T" });
  assert.equal(r.ba1.instances[0]!.primaryFaulty, true);
  assert.match(r.reason!, /BA1 in 1 instance/);
  const text = explained(h);
  assert.match(
    text,
    /BA1 \(every nonfaulty backup stores the same value\): violated in 1 instances/,
  );
  assert.match(
    text,
    /a1: primary n1 \(faulty\), given "T"; n2 stored "T", n3 stored "F", n4 stored "T" \(traitors n1\)/,
  );
});

test("BA2: a nonfaulty primary whose backups agree on another value is a violation", () => {
  const h = new H()
    .traitor(["n4"], 0, 5000)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, { n1: "T", n2: "F", n3: "F", n4: "T" });
  const r = check(h);
  assert.equal(r.valid, false);
  assert.equal(r.ba1.violations, 0); // n2 and n3 agree; n4 lies and is left out
  assert.equal(r.ba2.violations, 1);
  assert.deepEqual(r.ba2.instances[0]!.stored, { n2: "F", n3: "F" });
  assert.match(explained(h), /BA2 .*: violated in 1 instances\n {2}a1: primary n1 \(nonfaulty\)/);
});

test("a faulty primary may make its backups store another value than its input, if they agree", () => {
  const h = new H()
    .traitor(["n2"], 0, 5000)
    .propose("a1", "n2", "T", 100)
    .reads("a1", 2100, { n1: "F", n2: "T", n3: "F", n4: "F" });
  const r = check(h);
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.instances.faultyPrimary, 1);
});

test("a traitor backup's answer is ignored; the same answer from a nonfaulty backup is not", () => {
  const stored = { n1: "T", n2: "T", n3: "T", n4: "F" };
  const lying = new H()
    .traitor(["n4"], 0, 5000)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, stored);
  assert.equal(check(lying).valid, true);
  // n4 was a traitor only before the instance: it counts as nonfaulty in it.
  const earlier = new H()
    .traitor(["n4"], 0, 50)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, stored);
  const r = check(earlier);
  assert.equal(r.valid, false);
  assert.equal(r.ba1.violations, 1);
  assert.equal(r.ba2.violations, 1);
  // A traitor window never stopped lasts to the end of the history.
  const open = new H().traitor(["n4"], 50).propose("a1", "n1", "T", 100).reads("a1", 2100, stored);
  assert.equal(check(open).valid, true);
});

test("termination: a nonfaulty backup that has not decided when asked is its own violation", () => {
  const h = new H()
    .propose("a1", "n1", "T", 0)
    .reads("a1", 2000, { n1: "T", n2: "T", n3: null, n4: "T" });
  const r = check(h);
  assert.equal(r.valid, false);
  assert.equal(r.ba1.violations, 0);
  assert.equal(r.ba2.violations, 0);
  assert.equal(r.termination.violations, 1);
  assert.match(r.reason!, /^violated: termination in 1 instance$/);
  assert.match(explained(h), /n3 stored nothing \(not decided\)/);
  // A faulty primary that told nobody anything: no instance began, nobody need decide.
  const silent = new H()
    .traitor(["n1"], 0, 5000)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, { n1: "T", n2: null, n3: null, n4: null });
  assert.equal(check(silent).valid, true);
  // ... but if it told one, all must decide.
  const partial = new H()
    .traitor(["n1"], 0, 5000)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, { n1: "T", n2: "F", n3: null, n4: "F" });
  assert.equal(check(partial).termination.violations, 1);
  // A read with no answer says nothing: unknown what the node stored, not a violation.
  const unanswered = new H()
    .propose("a1", "n1", "T", 0)
    .reads("a1", 2000, { n1: "T", n2: "T", n3: "no answer", n4: "T" });
  const u = check(unanswered);
  assert.equal(u.valid, true);
  assert.equal(u.unansweredReads, 1);
});

test("BA2 binds only a propose the primary acknowledged", () => {
  const h = new H()
    .propose("a1", "n1", "T", 0, "info")
    .reads("a1", 2000, { n1: null, n2: "F", n3: "F", n4: "F" });
  assert.equal(check(h).valid, true);
});

test("a node killed during the instance is faulty too (crash), and reported apart", () => {
  const h = new H()
    .fault("kill", "start", ["n3"], 500, 1500)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, { n1: "T", n2: "T", n3: null, n4: "T" });
  const r = check(h);
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.faults.otherWindows, 1);
  // Broken by the others, n3 is named as hit by another fault.
  const broken = new H()
    .fault("kill", "start", ["n3"], 500, 1500)
    .propose("a1", "n1", "T", 100)
    .reads("a1", 2100, { n1: "T", n2: "T", n3: null, n4: "F" });
  const b = check(broken);
  assert.deepEqual(b.ba1.instances[0]!.otherFaulty, ["n3"]);
  assert.deepEqual(b.ba1.instances[0]!.traitors, []);
});

test("nothing judged is unknown; the live check waits until every node answered", () => {
  const none = new H().propose("a1", "n1", "T", 0);
  assert.equal(check(none).valid, "unknown");
  const partial = new H().propose("a1", "n1", "T", 0).reads("a1", 2000, { n2: "T", n3: "F" });
  assert.equal(check(partial, { live: true }).valid, "unknown");
  assert.equal(check(partial, { live: true }).instances.pending, 1);
  assert.equal(check(partial).valid, false);
});

test("traitor windows: from the start's invoke to the stop's info, or to the end", () => {
  const ops = new H()
    .traitor(["n2"], 100, 300)
    .traitor(["n3", "n4"], 400)
    .propose("a1", "n1", "T", 1000)
    .ops();
  const w = traitorWindows(ops);
  assert.deepEqual(w.get("n2"), [[100 * MS, 301 * MS]]);
  assert.deepEqual(w.get("n3"), [[400 * MS, 1005 * MS]]);
  assert.deepEqual([...faultyDuring(w, 0, 99 * MS)], []);
  assert.deepEqual([...faultyDuring(w, 301 * MS, 350 * MS)], ["n2"]);
  assert.deepEqual([...faultyDuring(w, 302 * MS, 399 * MS)], []);
  assert.deepEqual([...faultyDuring(w, 900 * MS, 2000 * MS)].sort(), ["n3", "n4"]);
});

test("with the workload's bound: an early 'not decided' is no violation, a changed answer is (stable), and re-reads do not stretch the span", () => {
  const opts = { decideWithinMs: 1000 };
  // n3 answers "not decided" 200 ms after the propose (early), then T when due.
  const early = new H()
    .propose("a1", "n1", "T", 0)
    .reads("a1", 200, { n3: null })
    .reads("a1", 1100, { n1: "T", n2: "T", n3: "T", n4: "T" });
  assert.equal(check(early, opts).valid, true);
  // Without the bound, that first read is the due one: a termination violation.
  assert.equal(check(early).termination.violations, 1);
  // n2 answers T when due and F when asked again: stable is broken.
  const changed = new H()
    .propose("a1", "n1", "T", 0)
    .reads("a1", 1100, { n1: "T", n2: "T", n3: "T", n4: "T" })
    .reads("a1", 3000, { n2: "F" });
  const c = check(changed, opts);
  assert.equal(c.valid, false);
  assert.equal(c.stable.violations, 1);
  assert.deepEqual(c.stable.instances[0]!.changed, { n2: ["T", "F"] });
  assert.match(getChecker("agreement").explain(c).join("\n"), /n2 answered "T", then "F"/);
  // A traitor window that begins after the due reads, during a re-read: n4 is nonfaulty in
  // the instance, so its lie in the due read counts.
  const later = new H()
    .propose("a1", "n1", "T", 0)
    .reads("a1", 1100, { n1: "T", n2: "T", n3: "T", n4: "F" })
    .traitor(["n4"], 2000, 4000)
    .reads("a1", 3000, { n3: "T" });
  assert.equal(check(later, opts).ba1.violations, 1);
});
