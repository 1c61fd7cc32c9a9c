// The message loop every TypeScript node is built on: it speaks the node protocol
// (docs/node-protocol.md), answers `init`, dispatches messages to handlers by body type,
// and offers send, reply, RPC with timeouts and timers. It knows no protocol of its own.
//
// Input and output are injected (a write function and a Clock) so the same node code runs
// under the real node host (see runStdio) or inside a simulated network in tests.
import { ERRORS } from "../host/errors.ts";
import type { ErrorKind } from "../host/errors.ts";

export interface Body {
  type: string;
  msg_id?: number;
  in_reply_to?: number;
  [field: string]: unknown;
}

export interface Message {
  src: string;
  dest: string;
  body: Body;
}

export interface Timer {
  cancel(): void;
}

/** Time, timers and randomness: real ones in production, simulated ones in tests. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  after(ms: number, fn: () => void): Timer;
  /** Uniform in [0, 1). */
  random(): number;
}

export const realClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  random: () => Math.random(),
};

export type Handler = (msg: Message) => void;

/** An RPC got no reply in time. Whether the request took effect is unknown. */
export class RpcTimeout extends Error {
  constructor(dest: string, type: string) {
    super(`no reply from ${dest} to ${type} in time`);
    this.name = "RpcTimeout";
  }
}

export class Node {
  /** This node's id (n1, n2, ...), known after init. */
  id = "";
  /** Every node of the cluster, this one included, known after init. */
  nodeIds: string[] = [];

  private nextMsgId = 1;
  private handlers = new Map<string, Handler>();
  private initHandlers: (() => void)[] = [];
  private waiting = new Map<number, { resolve: (b: Body) => void; timer: Timer }>();

  constructor(
    private readonly write: (msg: Message) => void,
    readonly clock: Clock = realClock,
    readonly log: (line: string) => void = (line) => process.stderr.write(line + "\n"),
  ) {}

  /** The other nodes of the cluster. */
  get peers(): string[] {
    return this.nodeIds.filter((n) => n !== this.id);
  }

  /** Handle every message whose body has this type. */
  on(type: string, handler: Handler): void {
    this.handlers.set(type, handler);
  }

  /** Run once init has set id and nodeIds, before init_ok is sent. */
  onInit(fn: () => void): void {
    this.initHandlers.push(fn);
  }

  /** Feed one incoming message to the node. */
  receive(msg: Message): void {
    const { body } = msg;
    if (body.in_reply_to !== undefined && this.waiting.has(body.in_reply_to)) {
      const w = this.waiting.get(body.in_reply_to)!;
      this.waiting.delete(body.in_reply_to);
      w.timer.cancel();
      w.resolve(body);
      return;
    }
    if (body.type === "init") {
      this.id = String(body.node_id);
      this.nodeIds = (body.node_ids as string[]).map(String);
      for (const fn of this.initHandlers) fn();
      this.reply(msg, { type: "init_ok" });
      return;
    }
    const handler = this.handlers.get(body.type);
    if (handler) handler(msg);
    // A late reply to an RPC we gave up on: nothing to do.
    else if (body.in_reply_to !== undefined) return;
    else this.error(msg, ERRORS.notSupported, `no handler for ${body.type}`);
  }

  send(dest: string, body: Body): void {
    this.write({ src: this.id, dest, body });
  }

  reply(request: Message, body: Body): void {
    this.send(request.src, { ...body, in_reply_to: request.body.msg_id });
  }

  error(request: Message, kind: ErrorKind, text: string): void {
    this.reply(request, { type: "error", code: kind.code, text });
  }

  /** Send a request and call `onReply` with its reply, or with undefined after timeoutMs.
   *  (Callback form: runs synchronously with the message loop, which simulations need.) */
  request(dest: string, body: Body, timeoutMs: number, onReply: (reply?: Body) => void): void {
    const msgId = this.nextMsgId++;
    const timer = this.clock.after(timeoutMs, () => {
      this.waiting.delete(msgId);
      onReply(undefined);
    });
    this.waiting.set(msgId, { resolve: onReply, timer });
    this.send(dest, { ...body, msg_id: msgId });
  }

  /** Send a request and wait for its reply; rejects with RpcTimeout after timeoutMs. */
  rpc(dest: string, body: Body, timeoutMs: number): Promise<Body> {
    return new Promise((resolve, reject) =>
      this.request(dest, body, timeoutMs, (reply) =>
        reply ? resolve(reply) : reject(new RpcTimeout(dest, body.type)),
      ),
    );
  }

  /** A fresh msg_id for requests sent without waiting (send + handler for the reply). */
  newMsgId(): number {
    return this.nextMsgId++;
  }
}

/** Connect a node to stdin/stdout: one JSON message per line each way. */
export function runStdio(makeNode: (write: (msg: Message) => void) => Node): Node {
  const node = makeNode((msg) => process.stdout.write(JSON.stringify(msg) + "\n"));
  let buffered = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      let msg: Message;
      try {
        msg = JSON.parse(line) as Message;
      } catch {
        node.log(`ignoring a line that is not JSON: ${line.slice(0, 200)}`);
        continue;
      }
      node.receive(msg);
    }
  });
  process.stdin.on("end", () => process.exit(0));
  return node;
}

/** The value of `--name value` in argv, or undefined. */
export function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The node's data directory: the host passes it in FAULTLINE_DATA_DIR. */
export function dataDir(): string {
  return process.env.FAULTLINE_DATA_DIR ?? "/var/lib/faultline/data";
}
