// The node host: the main process of every node container (docs/node-protocol.md).
//
//   node host.js [--client-port 7070] [--peer-port 7071] [--state-dir /var/lib/faultline]
//                [--log-file /var/log/faultline/host.log] [--max-log-bytes N] -- <program> [args...]
//
// It runs the node program, sends it `init` once it knows the cluster (the `topology`
// request, kept on disk for restarts), carries the program's messages to other nodes' hosts
// as UDP datagrams (a datagram to a cut-off peer is simply lost: never queued, never late),
// routes client requests arriving over TCP to the program and the program's replies back,
// and counts messages by type. Every node-to-node message first passes the chain of
// interceptor rules the control process set (`host_rules`: drop, delay, duplicate, reorder and
// the Byzantine mutations, interceptors/); a host of an `authenticated` target drops forged
// messages it receives. A message to a client this host does not hold is relayed to
// the other hosts (the holder writes it to its client); a message to a Maelstrom service
// (lin-kv, ...) goes over the control process's service link. If the program exits, the host
// logs it and exits too, so the container stops; starting it again is the runtime's job. If
// it cannot start at all (no interpreter, exit before init_ok) the host logs one line saying
// why (startFailureLine), which awaitHostsReady reads to fail fast.
import { spawn } from "node:child_process";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import {
  parseJsonKeepingBigIntegers,
  stringifyKeepingBigIntegers,
} from "../../core/big-integers.ts";
import { ERRORS } from "./errors.ts";
import { onLines } from "./lines.ts";
import { CLIENT_PORT, HOST_LOG, MAX_DATAGRAM_BYTES, PEER_PORT, STATE_DIR } from "./ports.ts";
import { SERVICE_NAMES, isServiceName } from "./services/names.ts";
import { HostStats } from "./stats.ts";
import { HOST_START_MARK, earlyExitLine, spawnFailureLine } from "./start-failure.ts";
import { isForged } from "./interceptors/authenticity.ts";
import { byzantineFromEnv } from "./interceptors/byzantine-env.ts";
import { InterceptorChain } from "./interceptors/chain.ts";
import { parseRules, type MessageRule } from "./interceptors/rule.ts";
import { SentLog } from "./interceptors/sent-log.ts";
import { isTopology, loadTopology, peerAddress, saveTopology } from "./topology.ts";
import type { Topology } from "./topology.ts";

interface Body {
  type: string;
  msg_id?: number;
  in_reply_to?: number;
  [field: string]: unknown;
}
interface Message {
  src: string;
  dest: string;
  body: Body;
  /** On a datagram between hosts only: this is a client-bound message relayed by that node's
   *  host, to be written to the client by whichever host holds its connection. */
  relay?: string;
}
/** How many of the program's last stderr lines are kept to explain a start failure. */
const STDERR_TAIL_LINES = 40;
/** A node's host log is rotated past this size by default: long runs cannot fill the disk. */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

export interface HostConfig {
  clientPort: number;
  peerPort: number;
  stateDir: string;
  logFile: string;
  /** The log file is rotated past this size (one older file kept as `<file>.1`). */
  maxLogBytes: number;
  program: string[];
}

export function parseArgs(argv: string[]): HostConfig {
  const dash = argv.indexOf("--");
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const program = dash >= 0 ? argv.slice(dash + 1) : [];
  const get = (name: string) => {
    const i = own.indexOf(`--${name}`);
    return i >= 0 ? own[i + 1] : undefined;
  };
  if (program.length === 0) {
    throw new Error("usage: host.js [--client-port N] [--peer-port N] -- <program> [args...]");
  }
  return {
    clientPort: Number(get("client-port") ?? CLIENT_PORT),
    peerPort: Number(get("peer-port") ?? PEER_PORT),
    stateDir: get("state-dir") ?? STATE_DIR,
    logFile: get("log-file") ?? HOST_LOG,
    maxLogBytes: Number(get("max-log-bytes") ?? MAX_LOG_BYTES),
    program,
  };
}

export class NodeHost {
  readonly stats = new HostStats();
  private topology: Topology | undefined;
  private program: ReturnType<typeof spawn> | undefined;
  private ready = false;
  private clients = new Map<string, net.Socket>();
  private udp = dgram.createSocket("udp4");
  private server = net.createServer((socket) => this.onClient(socket));
  private logFd: number | undefined;
  private logBytes = 0;
  /** The control process's service link (a client connection that sent services_attach). */
  private serviceLink: { socket: net.Socket; services: Set<string> } | undefined;
  /** The program's last stderr lines, quoted if it exits before init_ok. */
  private stderrTail: string[] = [];
  private exiting = false;
  private stopped = false;
  /** The interceptor chain of outgoing node-to-node messages (none: sent as they are). */
  private chain: InterceptorChain | undefined;
  /** The last messages sent to each peer (what a replaying traitor resends). */
  private readonly sentLog = new SentLog();
  /** The target's ByzantineSpec as far as the host needs it (value fields, authenticated). */
  private readonly byzantine = byzantineFromEnv(process.env);

  constructor(readonly config: HostConfig) {
    fs.mkdirSync(path.dirname(config.logFile), { recursive: true });
    this.logFd = fs.openSync(config.logFile, "a");
    this.logBytes = fs.fstatSync(this.logFd).size;
  }

  private get topologyFile(): string {
    return path.join(this.config.stateDir, "host", "topology.json");
  }

  log(line: string): void {
    const text = `${new Date().toISOString()} ${line}\n`;
    process.stderr.write(text);
    if (this.logFd === undefined) return;
    this.logBytes += fs.writeSync(this.logFd, text);
    if (this.logBytes > this.config.maxLogBytes) this.rotateLog();
  }

  /** Keep the log file bounded on long runs: the full file becomes `<file>.1` (replacing an
   *  older one) and a new file starts. */
  private rotateLog(): void {
    fs.closeSync(this.logFd!);
    fs.renameSync(this.config.logFile, `${this.config.logFile}.1`);
    this.logFd = fs.openSync(this.config.logFile, "a");
    this.logBytes = 0;
  }

  async start(): Promise<void> {
    this.udp.on("message", (data, from) => this.onDatagram(data, from));
    this.udp.on("error", (err) => this.log(`host: udp error: ${err.message}`));
    await new Promise<void>((resolve) => this.udp.bind(this.config.peerPort, resolve));
    await new Promise<void>((resolve) => this.server.listen(this.config.clientPort, resolve));
    this.log(
      `${HOST_START_MARK}${this.config.clientPort}, peers on udp ${this.config.peerPort}, program: ${this.config.program.join(" ")}`,
    );
    const saved = loadTopology(this.topologyFile);
    if (saved) {
      this.log(`host: topology from disk, this is ${saved.node_id}`);
      this.useTopology(saved);
    } else {
      this.log("host: waiting for a topology request");
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    // From here on the program's exit is ours, not news: exit() logs nothing more.
    this.stopped = true;
    this.exiting = true;
    this.program?.kill("SIGKILL");
    for (const s of this.clients.values()) s.destroy();
    this.udp.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.logFd !== undefined) fs.closeSync(this.logFd);
    this.logFd = undefined;
  }

  // ---- the node program ------------------------------------------------------------------

  private useTopology(t: Topology): void {
    this.topology = t;
    const [cmd, ...args] = this.config.program;
    const dataDir = path.join(this.config.stateDir, "data");
    fs.mkdirSync(dataDir, { recursive: true });
    const child = spawn(cmd, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, FAULTLINE_DATA_DIR: dataDir, FAULTLINE_NODE_ID: t.node_id },
    });
    this.program = child;
    if (child.pid !== undefined) this.log(`host: started node program, pid ${child.pid}`);
    child.stdin!.on("error", (err) => this.log(`host: program stdin: ${err.message}`));
    onLines(child.stdout!, (line) => this.fromProgram(line));
    const stderrDone = new Promise<void>((resolve) => child.stderr!.once("close", resolve));
    onLines(child.stderr!, (line) => {
      this.log(`[${t.node_id}] ${line}`);
      if (this.ready) return;
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      // Spawning failed (the program never ran): no such command, not executable.
      this.exit(spawnFailureLine(cmd, err));
    });
    child.on("exit", (code, signal) => {
      if (this.ready) {
        this.exit(`host: node program exited (code ${code}, signal ${signal}); host exits`);
        return;
      }
      // It ran but never answered init: quote what it said on stderr (read to its end first,
      // briefly: a grandchild may hold stderr open).
      const timeout = new Promise((r) => setTimeout(r, 300));
      void Promise.race([stderrDone, timeout]).then(() => {
        this.exit(earlyExitLine(code, signal, this.stderrTail));
      });
    });
    const init = {
      src: "host",
      dest: t.node_id,
      body: {
        type: "init",
        msg_id: 0,
        node_id: t.node_id,
        node_ids: Object.keys(t.nodes).sort(byNodeNumber),
      },
    };
    this.toProgram(init);
  }

  /** Log why the host ends (once) and end it: the container stops. */
  private exit(line: string): void {
    if (this.exiting) return;
    this.exiting = true;
    this.log(line);
    process.exitCode = 1;
    void this.stop();
  }

  private toProgram(msg: Message): void {
    this.program?.stdin?.write(stringifyKeepingBigIntegers(msg) + "\n");
  }

  private fromProgram(line: string): void {
    let msg: Message;
    try {
      msg = parseJsonKeepingBigIntegers(line) as Message;
      if (typeof msg.dest !== "string" || typeof msg.body?.type !== "string") throw new Error();
    } catch {
      this.log(`host: ignoring program output that is not a message: ${line.slice(0, 200)}`);
      return;
    }
    const t = this.topology!;
    if (msg.dest === "host") {
      if (msg.body.type === "init_ok") {
        this.ready = true;
        this.log(`host: node program ready as ${t.node_id}`);
      }
      return;
    }
    if (msg.dest === t.node_id) return this.toProgram(msg);
    if (msg.dest in t.nodes) return this.toPeer(msg);
    if (isServiceName(msg.dest)) return this.toService(msg);
    const socket = this.clients.get(msg.dest);
    if (socket) {
      if (socket.destroyed) return this.stats.dropped.add(msg.body.type);
      this.stats.clientOut.add(msg.body.type);
      socket.write(stringifyKeepingBigIntegers(msg) + "\n");
      return;
    }
    this.relay(msg);
  }

  // ---- clients of other nodes: relayed, once, to every other host ----------------------

  /** A message for a client this host does not hold: one datagram to each other host; the
   *  one holding the client writes it, the others drop it, nobody relays it again. */
  private relay(msg: Message): void {
    const t = this.topology!;
    const data = Buffer.from(stringifyKeepingBigIntegers({ ...msg, relay: t.node_id }));
    const peers = Object.keys(t.nodes).filter((n) => n !== t.node_id);
    if (data.length > MAX_DATAGRAM_BYTES || peers.length === 0) {
      this.stats.dropped.add(msg.body.type);
      return;
    }
    this.stats.relayed.add(msg.body.type);
    for (const peer of peers) {
      const { host, port } = peerAddress(t.nodes[peer]);
      this.udp.send(data, port, host, () => {});
    }
  }

  private onRelayed(msg: Message): void {
    const socket = this.clients.get(msg.dest);
    if (!socket || socket.destroyed) return; // another host holds it (or nobody does)
    this.stats.relayDelivered.add(msg.body.type);
    this.stats.clientOut.add(msg.body.type);
    const { relay: _, ...out } = msg;
    socket.write(stringifyKeepingBigIntegers(out) + "\n");
  }

  // ---- Maelstrom services (lin-kv, seq-kv, lww-kv) over the control process's link -------

  private toService(msg: Message): void {
    const link = this.serviceLink;
    if (link && !link.socket.destroyed && link.services.has(msg.dest)) {
      this.stats.serviceOut.add(msg.body.type);
      link.socket.write(stringifyKeepingBigIntegers(msg) + "\n");
      return;
    }
    // No link (the control process has not attached yet, or is gone): answer at once with a
    // definite "temporarily unavailable" so the program does not wait for nothing.
    this.stats.dropped.add(msg.body.type);
    if (msg.body.msg_id === undefined) return;
    this.toProgram({
      src: msg.dest,
      dest: msg.src,
      body: {
        type: "error",
        in_reply_to: msg.body.msg_id,
        code: ERRORS.temporarilyUnavailable.code,
        text: `service ${msg.dest} is not attached to this node's host`,
      },
    });
  }

  private fromService(msg: Message): void {
    if (!this.ready) return this.stats.dropped.add(msg.body.type);
    this.stats.serviceIn.add(msg.body.type);
    this.toProgram(msg);
  }

  // ---- peers: one message per UDP datagram -------------------------------------------

  /** A message of the node to a peer: through the interceptor chain, if any, then out. */
  private toPeer(msg: Message): void {
    if (this.chain) this.chain.send(msg);
    else this.sendToPeer(msg);
    this.sentLog.add(msg);
  }

  private sendToPeer(msg: Message): void {
    const address = this.topology?.nodes[msg.dest];
    if (address === undefined || this.stopped) return;
    const data = Buffer.from(stringifyKeepingBigIntegers(msg));
    if (data.length > MAX_DATAGRAM_BYTES) {
      this.stats.dropped.add(msg.body.type);
      this.log(
        `host: dropped a ${data.length}-byte ${msg.body.type} to ${msg.dest} (limit ${MAX_DATAGRAM_BYTES})`,
      );
      return;
    }
    const { host, port } = peerAddress(address);
    this.stats.sent.add(msg.body.type);
    // No retry and no queue: if the peer is cut off, the datagram is lost.
    this.udp.send(data, port, host, (err) => {
      if (err) this.stats.dropped.add(msg.body.type);
    });
  }

  private onDatagram(data: Buffer, from: dgram.RemoteInfo): void {
    let msg: Message;
    try {
      msg = parseJsonKeepingBigIntegers(data.toString("utf8")) as Message;
    } catch {
      return;
    }
    if (typeof msg !== "object" || msg === null || typeof msg.body?.type !== "string") return;
    if (typeof msg.relay === "string") return this.onRelayed(msg);
    if (!this.topology || msg.dest !== this.topology.node_id || !this.ready) {
      this.stats.dropped.add(String(msg.body?.type));
      return;
    }
    if (this.byzantine.authenticated && isForged(this.topology, msg.src, from)) {
      this.stats.forged.add(msg.body.type);
      return;
    }
    this.stats.received.add(msg.body.type);
    this.toProgram(msg);
  }

  // ---- clients: JSON lines over TCP ------------------------------------------------------

  private onClient(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      for (const [id, s] of this.clients) if (s === socket) this.clients.delete(id);
      if (this.serviceLink?.socket === socket) {
        this.serviceLink = undefined;
        this.log("host: service link detached");
      }
    });
    onLines(socket, (line) => {
      let msg: Message;
      try {
        msg = parseJsonKeepingBigIntegers(line) as Message;
        if (typeof msg.src !== "string" || typeof msg.body?.type !== "string") throw new Error();
      } catch {
        socket.write(
          JSON.stringify({
            src: "host",
            dest: "",
            body: {
              type: "error",
              code: ERRORS.malformedRequest.code,
              text: "expected one JSON message per line",
            },
          }) + "\n",
        );
        return;
      }
      if (this.serviceLink?.socket === socket && isServiceName(msg.src)) {
        return this.fromService(msg);
      }
      // Handled a moment later, once the rest of what the socket held has been read: a client
      // closes its connection when it gives up on a request, so a request found followed by
      // that close was abandoned (its sender already recorded it as unknown) and is dropped.
      // This matters after a freeze: the host then reads every request queued while it was
      // frozen, and executing them all at once would let stale writes hide lost ones. Two
      // turns of the event loop: libuv reads the close only in the poll after the data.
      afterNextPoll(() => {
        if (socket.readableEnded || socket.destroyed) {
          return this.stats.dropped.add(`abandoned ${msg.body.type}`);
        }
        this.clients.set(msg.src, socket);
        this.onClientMessage(msg, socket);
      });
    });
  }

  private onClientMessage(msg: Message, socket: net.Socket): void {
    const reply = (body: Body): void => {
      const src = this.topology?.node_id ?? "host";
      const out = { src, dest: msg.src, body: { ...body, in_reply_to: msg.body.msg_id } };
      socket.write(stringifyKeepingBigIntegers(out) + "\n");
    };
    switch (msg.body.type) {
      case "host_topology":
        return reply(this.onTopologyRequest(msg.body));
      case "host_status":
        return reply({
          type: "host_status_ok",
          ready: this.ready,
          node_id: this.topology?.node_id ?? null,
          pid: this.program?.pid ?? null,
        });
      case "host_stats":
        return reply({ type: "host_stats_ok", boot: this.stats.boot, ...this.stats.toBody() });
      case "services_attach":
        return reply(this.onServicesAttach(msg.body, socket));
      case "host_rules":
        return reply(this.onRulesRequest(msg.body));
    }
    if (!this.ready) {
      return reply({
        type: "error",
        code: ERRORS.temporarilyUnavailable.code,
        text: "node program not ready",
      });
    }
    this.stats.clientIn.add(msg.body.type);
    this.toProgram(msg);
  }

  private onServicesAttach(body: Body, socket: net.Socket): Body {
    const asked = body.services;
    if (!Array.isArray(asked) || !asked.every(isServiceName)) {
      return {
        type: "error",
        code: ERRORS.malformedRequest.code,
        text: `services_attach needs services, a list of ${SERVICE_NAMES.join(", ")}`,
      };
    }
    const old = this.serviceLink;
    this.serviceLink = { socket, services: new Set(asked) };
    if (old && old.socket !== socket) old.socket.destroy();
    this.log(`host: service link attached (${asked.join(", ")})`);
    return { type: "services_attach_ok" };
  }

  /** `host_rules`: replace the chain (an empty list heals: held messages go out at once).
   *  The rules live only in this process: a restarted node starts without them, so a heal
   *  that could not reach a node that was down never leaves it lying unrecorded. */
  private onRulesRequest(body: Body): Body {
    const rules = parseRules(body.rules);
    if (typeof rules === "string") {
      return { type: "error", code: ERRORS.malformedRequest.code, text: `host_rules: ${rules}` };
    }
    if (!this.topology) {
      return { type: "error", code: ERRORS.temporarilyUnavailable.code, text: "no topology yet" };
    }
    this.setRules(rules);
    this.log(
      `host: message rules ${rules.length ? rules.map((r) => r.action).join(", ") : "healed"}`,
    );
    return { type: "host_rules_ok", rules: rules.length };
  }

  private setRules(rules: MessageRule[]): void {
    const t = this.topology!;
    const old = this.chain;
    this.chain =
      rules.length === 0
        ? undefined
        : new InterceptorChain(
            rules,
            {
              self: t.node_id,
              peers: Object.keys(t.nodes)
                .filter((n) => n !== t.node_id)
                .sort(byNodeNumber),
              ...(this.byzantine.valueFields ? { valueFields: this.byzantine.valueFields } : {}),
              sentBefore: (dest) => this.sentLog.to(dest),
              later: (fn, ms) => setTimeout(fn, ms),
              onTaken: (action) => this.stats.intercepted.add(action),
            },
            (out) => this.afterChain(out.msg, out.delayMs),
          );
    old?.flush();
  }

  private afterChain(msg: Message, delayMs: number): void {
    if (delayMs <= 0) return this.sendToPeer(msg);
    setTimeout(() => this.sendToPeer(msg), delayMs);
  }

  private onTopologyRequest(body: Body): Body {
    const t = { node_id: body.node_id, nodes: body.nodes };
    if (!isTopology(t)) {
      return {
        type: "error",
        code: ERRORS.malformedRequest.code,
        text: "topology needs node_id and nodes (id -> address) including node_id",
      };
    }
    if (this.topology) {
      if (JSON.stringify(this.topology) !== JSON.stringify(t)) {
        return {
          type: "error",
          code: ERRORS.malformedRequest.code,
          text: `this host already runs ${this.topology.node_id} with another topology`,
        };
      }
      return { type: "host_topology_ok", ready: this.ready };
    }
    saveTopology(this.topologyFile, t);
    this.log(`host: topology received, this is ${t.node_id}`);
    this.useTopology(t);
    return { type: "host_topology_ok", ready: this.ready };
  }
}

/** n2 before n10. */
function byNodeNumber(a: string, b: string): number {
  const na = Number(a.replace(/^\D+/, ""));
  const nb = Number(b.replace(/^\D+/, ""));
  return na - nb || a.localeCompare(b);
}

/** Run `fn` after the event loop's next poll for I/O (what a socket held is read by then). */
function afterNextPoll(fn: () => void): void {
  setImmediate(() => setImmediate(fn));
}
