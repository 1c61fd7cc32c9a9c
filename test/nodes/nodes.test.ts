// The node programs in test/nodes/ (Python and JavaScript, run later with `faultline run
// --bin`), checked without Docker: each program is spawned three times as real processes,
// and this file plays the network between them (dropping a share of node-to-node messages,
// cutting partitions, killing and restarting nodes with their data directory kept), the
// lin-kv service, and the clients. Correct programs must give correct answers through all of
// that; each deliberately wrong one must show its bug.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const py = (name: string) => path.join(here, "python", name);
const js = (name: string) => path.join(here, "js", name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Body = { type: string; msg_id?: number; in_reply_to?: number; [k: string]: unknown };
interface Msg {
  src: string;
  dest: string;
  body: Body;
}

/** A small seeded generator (mulberry32), for which messages are dropped. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A lin-kv service as Maelstrom runs it: read / write / cas, errors 20 and 22. */
class LinKvService {
  readonly values = new Map<string, unknown>();
  down = false;
  calls = 0;

  handle(body: Body): Body | undefined {
    if (this.down) return undefined;
    this.calls++;
    const key = JSON.stringify(body.key);
    const reply = (b: Body): Body => ({ ...b, in_reply_to: body.msg_id });
    const missing = () => reply({ type: "error", code: 20, text: "key does not exist" });
    switch (body.type) {
      case "read":
        return this.values.has(key)
          ? reply({ type: "read_ok", value: this.values.get(key) })
          : missing();
      case "write":
        this.values.set(key, body.value);
        return reply({ type: "write_ok" });
      case "cas": {
        if (!this.values.has(key)) {
          if (!body.create_if_not_exists) return missing();
          this.values.set(key, body.to);
          return reply({ type: "cas_ok" });
        }
        if (JSON.stringify(this.values.get(key)) !== JSON.stringify(body.from)) {
          return reply({ type: "error", code: 22, text: "from does not match" });
        }
        this.values.set(key, body.to);
        return reply({ type: "cas_ok" });
      }
      default:
        return reply({ type: "error", code: 10, text: `unsupported ${body.type}` });
    }
  }
}

/** Three copies of a program wired together by this process. */
class Cluster {
  readonly ids = ["n1", "n2", "n3"];
  private procs = new Map<string, ChildProcess>();
  private dirs = new Map<string, string>();
  private waiters = new Map<string, (m: Msg) => void>();
  private cut = new Set<string>();
  private nextMsgId = 1;
  /** The msg_id of the last client request sent (replies are matched on it). */
  lastMsgId = 0;
  private random: () => number;
  readonly stderr: string[] = [];
  readonly service = new LinKvService();
  dropRate = 0;
  /** Node-to-node messages delivered and dropped. */
  delivered = 0;
  dropped = 0;

  constructor(
    readonly program: string,
    readonly args: string[] = [],
    seed = 1,
  ) {
    this.random = seeded(seed);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.start(id)));
  }

  /** Start (or restart, keeping its data directory) node `id`, and init it. */
  async start(id: string): Promise<void> {
    let dir = this.dirs.get(id);
    if (!dir) {
      dir = mkdtempSync(path.join(tmpdir(), `faultline-nodes-${id}-`));
      this.dirs.set(id, dir);
    }
    const proc = spawn(this.program, this.args, {
      env: { ...process.env, FAULTLINE_DATA_DIR: dir },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.procs.set(id, proc);
    proc.stdin!.on("error", () => {}); // writes to a killed node are lost, as on a network
    let out = "";
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (chunk: string) => {
      out += chunk;
      const lines = out.split("\n");
      out = lines.pop()!;
      for (const line of lines) if (line.trim()) this.route(id, JSON.parse(line) as Msg);
    });
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => this.stderr.push(chunk));
    const init = { type: "init", node_id: id, node_ids: this.ids };
    const ok = await this.request(id, "host", init, 10_000); // interpreters start slowly on a busy CI
    assert.equal(ok?.body.type, "init_ok", `${id} of ${this.program} answers init`);
  }

  /** SIGKILL node `id` and wait until it is gone. */
  async kill(id: string): Promise<void> {
    const proc = this.procs.get(id)!;
    this.procs.delete(id);
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }

  /** Cut every message between the two groups, both ways. */
  partition(a: string[], b: string[]): void {
    for (const x of a) for (const y of b) this.cut.add(`${x}>${y}`).add(`${y}>${x}`);
  }

  heal(): void {
    this.cut.clear();
  }

  private write(id: string, msg: Msg): void {
    const proc = this.procs.get(id);
    if (proc && proc.stdin!.writable) proc.stdin!.write(JSON.stringify(msg) + "\n");
  }

  private route(from: string, msg: Msg): void {
    assert.equal(msg.src, from, `a message from ${from} says src ${msg.src}`);
    if (this.ids.includes(msg.dest)) {
      if (this.cut.has(`${from}>${msg.dest}`) || this.random() < this.dropRate) {
        this.dropped++;
        return;
      }
      this.delivered++;
      this.write(msg.dest, msg);
    } else if (msg.dest === "lin-kv") {
      const body = this.service.handle(msg.body);
      if (body) setImmediate(() => this.write(from, { src: "lin-kv", dest: from, body }));
    } else {
      const waiter = this.waiters.get(`${msg.dest}:${msg.body.in_reply_to}`);
      if (waiter) waiter(msg);
    }
  }

  /** Send a client request; the reply message (from any node), or undefined on timeout. */
  request(node: string, client: string, body: Body, timeoutMs = 2000): Promise<Msg | undefined> {
    const msgId = this.nextMsgId++;
    this.lastMsgId = msgId;
    return new Promise((resolve) => {
      const key = `${client}:${msgId}`;
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(key, (m) => {
        clearTimeout(timer);
        this.waiters.delete(key);
        resolve(m);
      });
      this.write(node, { src: client, dest: node, body: { ...body, msg_id: msgId } });
    });
  }

  /** Like request, but the reply must come, from `node`, with the right in_reply_to. */
  async call(node: string, client: string, body: Body): Promise<Body> {
    const reply = await this.request(node, client, body);
    assert.ok(reply, `no reply from ${node} to ${JSON.stringify(body)}`);
    assert.equal(reply.dest, client);
    return reply.body;
  }

  /** The programs logged no handler crash (the helpers log them as "error:"). */
  assertNoCrash(): void {
    const text = this.stderr.join("");
    assert.ok(!/\berror:|Traceback/.test(text), `a node logged a crash:\n${text}`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.kill(id)));
    for (const dir of this.dirs.values()) rmSync(dir, { recursive: true, force: true });
  }
}

const clusters: Cluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

async function cluster(program: string, seed = 1): Promise<Cluster> {
  const c = new Cluster(program, [], seed);
  clusters.push(c);
  await c.startAll();
  return c;
}

/** Poll `check` until it returns true or `ms` pass; the last result. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(150);
  }
}

const sorted = (xs: unknown) => [...(xs as number[])].sort((a, b) => a - b);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("node programs for --bin", { concurrency: 4 }, () => {
  // --- echo -------------------------------------------------------------------------------
  for (const program of [py("echo.py"), js("echo.js")]) {
    test(`echo: ${path.relative(here, program)} echoes every value`, async () => {
      const c = await cluster(program);
      for (let i = 0; i < 9; i++) {
        const node = c.ids[i % 3];
        const reply = await c.request(node, "c1", { type: "echo", echo: `v${i}` });
        assert.equal(reply?.src, node);
        assert.equal(reply?.body.type, "echo_ok");
        assert.equal(reply?.body.echo, `v${i}`);
      }
      c.assertNoCrash();
    });
  }
  for (const program of [py("echo_wrong.py"), js("echo-wrong.js")]) {
    test(`echo: ${path.relative(here, program)} is caught echoing a stale value`, async () => {
      const c = await cluster(program);
      const wrong: string[] = [];
      for (let i = 0; i < 6; i++) {
        const body = await c.call("n1", "c1", { type: "echo", echo: `v${i}` });
        if (body.echo !== `v${i}`) wrong.push(`sent v${i}, got ${String(body.echo)}`);
      }
      assert.ok(wrong.length > 0, "the wrong echo answered every request correctly");
    });
  }

  // --- unique-ids --------------------------------------------------------------------------
  test("unique-ids: python/unique_ids.py is unique across nodes and a kill", async () => {
    const c = await cluster(py("unique_ids.py"));
    const generate = () =>
      Promise.all(
        range(0, 29).map(async (i) => {
          const body = await c.call(c.ids[i % 3], `c${i % 5}`, { type: "generate" });
          assert.equal(body.type, "generate_ok");
          return JSON.stringify(body.id);
        }),
      );
    const before = await generate();
    await c.kill("n2");
    await c.start("n2");
    const ids = [...before, ...(await generate())];
    assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(" ")}`);
    c.assertNoCrash();
  });
  test("unique-ids: python/unique_ids_wrong.py is caught repeating ids", async () => {
    const c = await cluster(py("unique_ids_wrong.py"));
    const ids: string[] = [];
    for (const node of c.ids) {
      ids.push(JSON.stringify((await c.call(node, "c1", { type: "generate" })).id));
    }
    assert.ok(new Set(ids).size < ids.length, `no duplicate among ${ids.join(" ")}`);
  });

  // --- broadcast ---------------------------------------------------------------------------
  const topology = { n1: ["n2"], n2: ["n1", "n3"], n3: ["n2"] };
  test("broadcast: js/broadcast.js delivers every message everywhere despite loss, a partition and a kill", async () => {
    const c = await cluster(js("broadcast.js"), 7);
    for (const node of c.ids) {
      assert.equal((await c.call(node, "c0", { type: "topology", topology })).type, "topology_ok");
    }
    c.dropRate = 0.25;
    c.partition(["n3"], ["n1", "n2"]);
    for (const m of range(1, 10)) {
      const body = await c.call(c.ids[m % 2], "c1", { type: "broadcast", message: m });
      assert.equal(body.type, "broadcast_ok");
    }
    for (const m of range(11, 15)) {
      assert.equal(
        (await c.call("n3", "c2", { type: "broadcast", message: m })).type,
        "broadcast_ok",
      );
    }
    await c.kill("n2"); // loses its memory; its disk and its peers give the messages back
    c.heal();
    await c.start("n2");
    const reads: Record<string, unknown> = {};
    const converged = await eventually(async () => {
      for (const node of c.ids) {
        const body = await c.call(node, "c3", { type: "read" });
        assert.equal(body.type, "read_ok");
        reads[node] = sorted(body.messages);
      }
      return c.ids.every((n) => JSON.stringify(reads[n]) === JSON.stringify(range(1, 15)));
    }, 8000);
    assert.ok(converged, `not every node read 1..15: ${JSON.stringify(reads)}`);
    assert.ok(c.dropped > 0, "the test dropped no message");
    c.assertNoCrash();
  });
  test("broadcast: js/broadcast-wrong.js is caught losing messages sent during a partition", async () => {
    const c = await cluster(js("broadcast-wrong.js"));
    for (const node of c.ids) await c.call(node, "c0", { type: "topology", topology });
    c.partition(["n3"], ["n1", "n2"]);
    for (const m of range(1, 5)) await c.call("n1", "c1", { type: "broadcast", message: m });
    c.heal();
    await c.call("n1", "c1", { type: "broadcast", message: 100 });
    // Without faults it does deliver: 100 reaches n3; 1..5 never do.
    const seen = await eventually(async () => {
      const body = await c.call("n3", "c2", { type: "read" });
      return (body.messages as number[]).includes(100);
    }, 2000);
    assert.ok(seen, "the wrong broadcast did not deliver even without faults");
    await sleep(1000);
    const n3 = sorted((await c.call("n3", "c2", { type: "read" })).messages);
    assert.deepEqual(n3, [100], "n3 should have missed 1..5");
  });

  // --- g-set -------------------------------------------------------------------------------
  test("g-set: js/g-set.js converges to every added element despite loss, a partition and a kill", async () => {
    const c = await cluster(js("g-set.js"), 11);
    c.dropRate = 0.25;
    c.partition(["n1"], ["n2", "n3"]);
    for (const e of range(1, 8)) {
      assert.equal((await c.call(c.ids[e % 3], "c1", { type: "add", element: e })).type, "add_ok");
    }
    await c.kill("n3");
    c.heal();
    await c.start("n3");
    const reads: Record<string, unknown> = {};
    const converged = await eventually(async () => {
      for (const node of c.ids) {
        const body = await c.call(node, "c2", { type: "read" });
        assert.equal(body.type, "read_ok");
        reads[node] = sorted(body.value);
      }
      return c.ids.every((n) => JSON.stringify(reads[n]) === JSON.stringify(range(1, 8)));
    }, 8000);
    assert.ok(converged, `not every node read 1..8: ${JSON.stringify(reads)}`);
    c.assertNoCrash();
  });
  test("g-set: js/g-set-wrong.js is caught missing elements added during a partition", async () => {
    const c = await cluster(js("g-set-wrong.js"));
    c.partition(["n1"], ["n2", "n3"]);
    for (const e of range(1, 3)) await c.call("n1", "c1", { type: "add", element: e });
    c.heal();
    await sleep(1500);
    const n2 = sorted((await c.call("n2", "c2", { type: "read" })).value);
    assert.deepEqual(n2, [], "n2 should have missed 1..3");
  });

  // --- g-counter and pn-counter --------------------------------------------------------------
  async function counterConverges(c: Cluster, adds: [string, number][]): Promise<void> {
    c.dropRate = 0.25;
    c.partition(["n3"], ["n1", "n2"]);
    for (const [node, delta] of adds) {
      assert.equal((await c.call(node, "c1", { type: "add", delta })).type, "add_ok");
    }
    await c.kill("n3");
    await c.kill("n1");
    c.heal();
    await Promise.all([c.start("n3"), c.start("n1")]);
    const expected = adds.reduce((s, [, d]) => s + d, 0);
    const reads: Record<string, unknown> = {};
    const converged = await eventually(async () => {
      for (const node of c.ids) {
        const body = await c.call(node, "c2", { type: "read" });
        assert.equal(body.type, "read_ok");
        reads[node] = body.value;
      }
      return c.ids.every((n) => reads[n] === expected);
    }, 8000);
    assert.ok(converged, `not every node read ${expected}: ${JSON.stringify(reads)}`);
    c.assertNoCrash();
  }
  async function counterWrong(c: Cluster, adds: [string, number][]): Promise<void> {
    c.partition(["n3"], ["n1", "n2"]);
    for (const [node, delta] of adds) await c.call(node, "c1", { type: "add", delta });
    c.heal();
    await sleep(1500);
    const expected = adds.reduce((s, [, d]) => s + d, 0);
    const reads: unknown[] = [];
    for (const node of c.ids) reads.push((await c.call(node, "c2", { type: "read" })).value);
    assert.ok(
      reads.some((v) => v !== expected),
      `every node read the right total ${expected}: ${JSON.stringify(reads)}`,
    );
  }
  const gAdds: [string, number][] = [
    ["n1", 1],
    ["n1", 2],
    ["n2", 4],
    ["n3", 8],
    ["n2", 16],
  ];
  const pnAdds: [string, number][] = [
    ["n1", 5],
    ["n2", -2],
    ["n3", 10],
    ["n3", -1],
    ["n1", 3],
  ];
  test("g-counter: python/g_counter.py converges to the sum despite loss, a partition and kills", async () => {
    await counterConverges(await cluster(py("g_counter.py"), 3), gAdds);
  });
  test("g-counter: python/g_counter_wrong.py is caught losing increments", async () => {
    await counterWrong(await cluster(py("g_counter_wrong.py")), gAdds);
  });
  test("pn-counter: js/pn-counter.js converges to the sum despite loss, a partition and kills", async () => {
    await counterConverges(await cluster(js("pn-counter.js"), 5), pnAdds);
  });
  test("pn-counter: js/pn-counter-wrong.js is caught over-counting", async () => {
    await counterWrong(await cluster(js("pn-counter-wrong.js")), pnAdds);
  });

  // --- lin-kv --------------------------------------------------------------------------------
  test("lin-kv: python/lin_kv.py forwards to n1, which answers the client directly", async () => {
    const c = await cluster(py("lin_kv.py"));
    const direct = async (node: string, client: string, body: Body) => {
      const reply = await c.request(node, client, body);
      assert.ok(reply, `no reply through ${node} to ${JSON.stringify(body)}`);
      assert.equal(reply.src, "n1", "the leader n1 answers");
      assert.equal(reply.dest, client, "the reply goes to the original client");
      return reply.body;
    };
    const w = await c.request("n2", "c7", { type: "write", key: "k1", value: 1 });
    assert.deepEqual(w, {
      src: "n1",
      dest: "c7",
      body: { type: "write_ok", in_reply_to: c.lastMsgId },
    });
    const r = await direct("n3", "c8", { type: "read", key: "k1" });
    assert.deepEqual(r, { type: "read_ok", value: 1, in_reply_to: c.lastMsgId });
    assert.equal(
      (await direct("n2", "c7", { type: "cas", key: "k1", from: 1, to: 2 })).type,
      "cas_ok",
    );
    const bad = await direct("n3", "c8", { type: "cas", key: "k1", from: 1, to: 3 });
    assert.equal(bad.code, 22);
    assert.equal((await direct("n2", "c7", { type: "read", key: "nope" })).code, 20);
    assert.equal((await direct("n1", "c9", { type: "cas", key: "nope", from: 1, to: 2 })).code, 20);
    assert.equal((await direct("n1", "c9", { type: "read", key: "k1" })).value, 2);
    assert.deepEqual([...c.service.values.entries()], [['"k1"', 2]]);

    // The leader cut off: requests through n2 get no answer (the client records info);
    // through n1 they still work; after healing, n2 serves again.
    c.partition(["n1"], ["n2", "n3"]);
    assert.equal(
      await c.request("n2", "c7", { type: "write", key: "k1", value: 9 }, 800),
      undefined,
    );
    assert.equal((await direct("n1", "c9", { type: "read", key: "k1" })).value, 2);
    c.heal();
    assert.equal(
      (await direct("n2", "c7", { type: "write", key: "k1", value: 3 })).type,
      "write_ok",
    );
    assert.equal((await direct("n3", "c8", { type: "read", key: "k1" })).value, 3);

    // The service silent: an indefinite timeout (code 0) for a write, 11 for a read.
    c.service.down = true;
    const [tw, tr] = await Promise.all([
      c.request("n3", "c8", { type: "write", key: "k1", value: 4 }, 4000),
      c.request("n2", "c7", { type: "read", key: "k1" }, 4000),
    ]);
    assert.equal(tw?.body.type, "error");
    assert.equal(tw?.body.code, 0);
    assert.equal(tr?.body.code, 11);
    c.assertNoCrash();
  });
  test("lin-kv: python/lin_kv_wrong.py is caught reading stale state through another node", async () => {
    const c = await cluster(py("lin_kv_wrong.py"));
    assert.equal(
      (await c.call("n2", "c1", { type: "write", key: "k1", value: 1 })).type,
      "write_ok",
    );
    const read = await c.call("n3", "c2", { type: "read", key: "k1" });
    assert.notDeepEqual(
      { type: read.type, value: read.value },
      { type: "read_ok", value: 1 },
      "the wrong lin-kv read its own write through another node",
    );
    assert.equal(c.service.calls, 0);
  });
});
