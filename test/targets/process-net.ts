// Node programs run as real local processes, with the test as their network (no Docker, no
// node host): each node is one process speaking the node protocol on stdin/stdout, and every
// message a node writes comes here, to be delivered, dropped (loss, partitions, a tap's
// choice) or handed to a waiting client. Nodes are killed with SIGKILL and restarted with
// their data directory (FAULTLINE_DATA_DIR) kept, as a container keeps its disk.
//
// Messages move synchronously, in the order their sender wrote them: a tap that kills a node
// while looking at one of its messages makes that message the last one it ever sent (what it
// wrote after is discarded), which is how tests stop a node "right after" a given send.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export type Body = { type: string; msg_id?: number; in_reply_to?: number; [k: string]: unknown };
export interface Msg {
  src: string;
  dest: string;
  body: Body;
}

/** Looks at every node-to-node message before delivery; "drop" loses it. A tap may also
 *  kill nodes, cut links, or record what it saw. */
export type Tap = (msg: Msg) => "drop" | void;

export interface ProcessNetOptions {
  ids: string[];
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** Seed of the generator that decides which messages `dropRate` loses. */
  seed?: number;
  /** Prefix of the temporary data directories. */
  label?: string;
}

/** A small seeded generator (mulberry32). */
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every 100 ms until it returns true (then true) or `ms` pass (then false). */
export async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

export class ProcessNet {
  readonly ids: string[];
  /** Share of node-to-node messages lost at random. */
  dropRate = 0;
  /** Node-to-node messages by body type: delivered, and dropped (cut, loss, tap, dead node). */
  readonly delivered = new Map<string, number>();
  readonly dropped = new Map<string, number>();
  /** Every node's stderr, each chunk prefixed with the node id. */
  readonly stderr: string[] = [];
  private readonly procs = new Map<string, ChildProcess>();
  private readonly dirs = new Map<string, string>();
  private readonly waiters = new Map<string, (m: Msg) => void>();
  private readonly cut = new Set<string>();
  private taps: Tap[] = [];
  private nextMsgId = 1;
  private readonly random: () => number;

  constructor(readonly opts: ProcessNetOptions) {
    this.ids = [...opts.ids];
    this.random = seeded(opts.seed ?? 1);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.start(id)));
  }

  /** Start (or restart, keeping its data directory) node `id`, and init it. */
  async start(id: string): Promise<void> {
    assert.ok(!this.procs.has(id), `${id} is already running`);
    let dir = this.dirs.get(id);
    if (!dir) {
      dir = mkdtempSync(path.join(tmpdir(), `faultline-${this.opts.label ?? "net"}-${id}-`));
      this.dirs.set(id, dir);
    }
    const proc = spawn(this.opts.command, this.opts.args ?? [], {
      env: { ...process.env, ...this.opts.env, FAULTLINE_DATA_DIR: dir },
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
      for (const line of lines) {
        // A node killed by a tap sends nothing after the message the tap was looking at.
        if (this.procs.get(id) !== proc) return;
        if (line.trim()) this.route(id, JSON.parse(line) as Msg);
      }
    });
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => this.stderr.push(`[${id}] ${chunk}`));
    const init = { type: "init", node_id: id, node_ids: this.ids };
    const ok = await this.request(id, "host", init, 10_000); // interpreters start slowly on a busy CI
    assert.equal(ok?.body.type, "init_ok", `${id} answers init`);
  }

  isUp(id: string): boolean {
    return this.procs.has(id);
  }

  /** SIGKILL node `id` now (it sends nothing more from this instant) and wait until it is
   *  gone. Safe to call from a tap without awaiting. */
  async kill(id: string): Promise<void> {
    const proc = this.procs.get(id);
    if (!proc) return;
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

  /** Cut `id` from every other node. */
  isolate(id: string): void {
    this.partition(
      [id],
      this.ids.filter((n) => n !== id),
    );
  }

  isCut(from: string, to: string): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Add a tap; returns a function that removes it. */
  tap(tap: Tap): () => void {
    this.taps.push(tap);
    return () => {
      this.taps = this.taps.filter((t) => t !== tap);
    };
  }

  /** Deliver `msg` to its destination as if a node had sent it (bypassing cuts and taps). */
  inject(msg: Msg): void {
    this.write(msg.dest, msg);
  }

  private count(map: Map<string, number>, type: string): void {
    map.set(type, (map.get(type) ?? 0) + 1);
  }

  private write(id: string, msg: Msg): boolean {
    const proc = this.procs.get(id);
    if (!proc || !proc.stdin!.writable) return false;
    proc.stdin!.write(JSON.stringify(msg) + "\n");
    return true;
  }

  private route(from: string, msg: Msg): void {
    assert.equal(msg.src, from, `a message from ${from} says src ${msg.src}`);
    if (this.ids.includes(msg.dest)) {
      let drop = this.cut.has(`${from}>${msg.dest}`) || this.random() < this.dropRate;
      if (!drop) for (const tap of [...this.taps]) if (tap(msg) === "drop") drop = true;
      if (drop || !this.write(msg.dest, msg)) this.count(this.dropped, msg.body.type);
      else this.count(this.delivered, msg.body.type);
    } else {
      const waiter = this.waiters.get(`${msg.dest}:${msg.body.in_reply_to}`);
      if (waiter) waiter(msg);
    }
  }

  /** Send a client request; the reply message (from any node), or undefined on timeout. */
  request(node: string, client: string, body: Body, timeoutMs = 2000): Promise<Msg | undefined> {
    const msgId = this.nextMsgId++;
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

  /** Like request, but the reply must come. */
  async call(node: string, client: string, body: Body, timeoutMs = 2000): Promise<Body> {
    const reply = await this.request(node, client, body, timeoutMs);
    assert.ok(reply, `no reply from ${node} to ${JSON.stringify(body)}`);
    assert.equal(reply.dest, client);
    return reply.body;
  }

  /** The programs logged no handler crash ("error:" lines, Python tracebacks). */
  assertNoCrash(): void {
    const text = this.stderr.join("");
    assert.ok(!/\berror:|Traceback/.test(text), `a node logged a crash:\n${text}`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.kill(id)));
    for (const dir of this.dirs.values()) rmSync(dir, { recursive: true, force: true });
  }
}
