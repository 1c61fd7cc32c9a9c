// The kafka workload offline: its request bodies are Maelstrom's, replies become completions
// (offsets, a key's [offset, message] pairs, committed offsets), polls and commits start from
// offsets sends were acknowledged with, the final phase polls every key on every node from 0;
// and driven through its own codec against an in-memory log, a correct one is valid under the
// workload's checkers and one that hands out offsets per node is caught.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";
import type { Op } from "../../histories/op.ts";
import { composeSpecs } from "../../checkers/index.ts";
import type { ComposedResult } from "../../checkers/compose.ts";
import type { Gen } from "../../harness/generator/gen.ts";
import { getWorkload } from "../../harness/workloads/index.ts";
import type { Workload } from "../../harness/workloads/types.ts";
import type { Body } from "../../targets/types.ts";
import { LiveCheck, type LiveViolation } from "../../harness/run/live-check.ts";
import { memoryRecorder } from "./fakes.ts";

const nodes = ["n1", "n2", "n3"];

test("kafka's bodies and completions are Maelstrom's", () => {
  const w = getWorkload("kafka", { nodes });
  const m = w.messages;
  assert.deepEqual(m.request({ f: "send", key: "k1", value: 7 }), {
    type: "send",
    key: "k1",
    msg: 7,
  });
  assert.deepEqual(m.request({ f: "poll", key: "k1", value: 3 }), {
    type: "poll",
    offsets: { k1: 3 },
  });
  assert.deepEqual(m.request({ f: "commit_offsets", key: "k1", value: 3 }), {
    type: "commit_offsets",
    offsets: { k1: 3 },
  });
  assert.deepEqual(m.request({ f: "list_committed_offsets", key: "k1", value: null }), {
    type: "list_committed_offsets",
    keys: ["k1"],
  });
  const send = { f: "send", key: "k1", value: 7 };
  assert.deepEqual(m.complete(send, { type: "send_ok", offset: 12 }), { type: "ok", value: 12 });
  assert.deepEqual(m.complete(send, { type: "send_ok" }), { type: "ok", value: null });
  const poll = { f: "poll", key: "k1", value: 0 };
  assert.deepEqual(m.complete(poll, { type: "poll_ok", msgs: { k1: [[0, 7]] } }), {
    type: "ok",
    value: [[0, 7]],
  });
  assert.deepEqual(m.complete(poll, { type: "poll_ok", msgs: {} }), { type: "ok", value: [] });
  assert.deepEqual(m.complete(poll, { type: "poll_ok" }), { type: "ok", value: null });
  const list = { f: "list_committed_offsets", key: "k1", value: null };
  assert.deepEqual(m.complete(list, { type: "list_committed_offsets_ok", offsets: { k1: 4 } }), {
    type: "ok",
    value: 4,
  });
  assert.equal(m.complete(send, { type: "error", code: 11 }).type, "fail");
});

/** An in-memory log service. Broken: each node keeps its own logs. `cap`: at most this many
 *  messages per poll (Maelstrom lets a poll return part of a log). */
function logNode(broken: boolean, cap = Infinity) {
  const logs = new Map<string, unknown[]>();
  const committed = new Map<string, number>();
  const logOf = (node: string, key: string) => {
    const id = broken ? `${node}/${key}` : key;
    if (!logs.has(id)) logs.set(id, []);
    return logs.get(id)!;
  };
  return (node: string, body: Body): Body => {
    switch (body.type) {
      case "send": {
        const log = logOf(node, body.key as string);
        log.push(body.msg);
        return { type: "send_ok", offset: log.length - 1 };
      }
      case "poll": {
        const msgs: Record<string, unknown[]> = {};
        for (const [key, from] of Object.entries(body.offsets as Record<string, number>))
          msgs[key] = logOf(node, key)
            .map((msg, offset) => [offset, msg])
            .slice(from, from + cap);
        return { type: "poll_ok", msgs };
      }
      case "commit_offsets":
        for (const [key, o] of Object.entries(body.offsets as Record<string, number>))
          committed.set(key, Math.max(committed.get(key) ?? 0, o));
        return { type: "commit_offsets_ok" };
      default: {
        const offsets: Record<string, number> = {};
        for (const key of body.keys as string[])
          if (committed.has(key)) offsets[key] = committed.get(key)!;
        return { type: "list_committed_offsets_ok", offsets };
      }
    }
  };
}

/** `n` main ops round-robin over the nodes, then the final phase, as the workers record them. */
function drive(w: Workload, node: ReturnType<typeof logNode>, n: number) {
  const history: Op[] = [];
  const rng = Rng.seeded(5);
  let process = 0;
  const run = (gen: Gen, limit: number) => {
    for (let i = 0; i < limit; i++) {
      const spec = gen.next({ rng, elapsedMs: 0 });
      if (!spec) return;
      const base = {
        process: process++,
        f: spec.f,
        key: spec.key,
        node: spec.node ?? nodes[i % 3]!,
      };
      history.push({
        index: history.length,
        time: history.length,
        type: "invoke",
        value: spec.value,
        ...base,
      });
      const c = w.messages.complete(spec, node(base.node, w.messages.request(spec)));
      const value = c.value !== undefined ? c.value : spec.value;
      history.push({ index: history.length, time: history.length, type: c.type, value, ...base });
    }
  };
  run(w.generator(), n);
  const finalFrom = history.length;
  run(w.final(), Infinity);
  return { history, final: history.slice(finalFrom) };
}

test("kafka: polls start from acknowledged offsets; a correct log is valid, per-node logs are caught", async () => {
  const w = getWorkload("kafka", { nodes });
  const good = drive(w, logNode(false), 400);
  const polls = good.history.filter((o) => o.f === "poll" && o.type === "invoke");
  assert.ok(
    polls.some((o) => typeof o.value === "number" && o.value > 0),
    "some polls start past offset 0",
  );
  for (const node of nodes)
    for (const key of ["k0", "k1", "k2"])
      assert.ok(
        good.final.some((o) => o.node === node && o.key === key && o.f === "poll" && o.value === 0),
        `a final poll of ${key} on ${node} from 0`,
      );
  const checker = composeSpecs(w.checkers);
  const r = (await checker.check(good.history, {})) as ComposedResult;
  assert.equal(r.valid, true, JSON.stringify(r.results, null, 1).slice(0, 1500));
  const bad = drive(getWorkload("kafka", { nodes }), logNode(true), 400);
  assert.equal(
    ((await checker.check(bad.history, {})) as ComposedResult).results.kafka!.valid,
    false,
  );
});

test("kafka: a log that returns a few messages per poll is confirmed by final polls from where polls had not reached", async () => {
  const w = getWorkload("kafka", { nodes });
  const { history, final } = drive(w, logNode(false, 3), 400);
  const starts = new Set(final.filter((o) => o.type === "invoke").map((o) => o.value));
  assert.ok(starts.size > 1, "final polls start past 0 as well");
  const r = (await composeSpecs(w.checkers).check(history, {})) as ComposedResult;
  assert.equal(r.results.kafka!.valid, true, JSON.stringify(r.results.kafka).slice(0, 800));
});

test("kafka: a seed fixes the functions, keys and messages, whatever the replies were", () => {
  const ops = (acknowledge: boolean) => {
    const w = getWorkload("kafka", { nodes });
    const gen = w.generator();
    const rng = Rng.seeded(11);
    const out: string[] = [];
    for (let i = 0; i < 300; i++) {
      const spec = gen.next({ rng, elapsedMs: 0 })!;
      if (acknowledge && spec.f === "send")
        w.messages.complete(spec, { type: "send_ok", offset: i });
      out.push(`${spec.f} ${spec.key} ${spec.f === "send" ? String(spec.value) : ""}`);
    }
    return out;
  };
  assert.deepEqual(ops(true), ops(false));
});

test("kafka is checked live: sends not yet polled are no verdict, an offset handed out twice is", async () => {
  const violations: LiveViolation[] = [];
  const live = await LiveCheck.start(getWorkload("kafka", { nodes }).checkers, {
    everyMs: 20,
    budget: { timeLimitMs: 5000, memoryLimitMb: 256 },
    nowMs: () => 0,
    onViolation: (v) => violations.push(v),
  });
  assert.ok(live, "the kafka checker runs live");
  const rec = live.tee(memoryRecorder());
  const send = (process: number, msg: number, offset: number, node: string) => {
    rec.append({ time: process, process, type: "invoke", f: "send", key: "k0", value: msg, node });
    rec.append({ time: process, process, type: "ok", f: "send", key: "k0", value: offset, node });
  };
  send(0, 1, 0, "n1");
  live.run();
  for (let i = 0; i < 100 && live.stats.lastOps < 2; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.match(live.status(), /no violation in 2 ops/);
  send(1, 2, 0, "n2"); // n2 hands out offset 0 again
  for (let i = 0; i < 100 && violations.length === 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(violations[0]?.violated, ["kafka"]);
  await live.stop();
});
