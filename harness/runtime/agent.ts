// The rule agent: the infra container's main process is a small shell loop that reads rule
// sets on its stdin and loads each with iptables-restore. The control process keeps one Docker
// attach stream per node open and writes to it, which avoids a `docker exec` (a runc process
// start, ~40 ms of CPU) per node per fault: a partition on 5 nodes costs a few ms of iptables
// instead of 5 execs. It is still only the Docker API, so a remote engine works.
//
// Wire format, one line each way:  control -> agent  "<id> <base64 of iptables-restore input>"
//                                  agent -> control  "ok <id>"  or  "err <id> <message>"
import { randomBytes } from "node:crypto";
import { PassThrough, type Duplex } from "node:stream";
import type Docker from "dockerode";
import { docker } from "./docker.ts";
import { CHAIN_IN, CHAIN_OUT } from "./rules.ts";

/** The infra container's command: install our chains and jumps once, then serve rule sets.
 *  When stdin closes (nobody attached any more) it keeps sleeping: the netns must live on. */
export const AGENT_COMMAND = [
  "sh",
  "-c",
  [
    `iptables -w -N ${CHAIN_IN} 2>/dev/null; iptables -w -N ${CHAIN_OUT} 2>/dev/null`,
    `iptables -w -C INPUT -j ${CHAIN_IN} 2>/dev/null || iptables -w -I INPUT 1 -j ${CHAIN_IN}`,
    `iptables -w -C OUTPUT -j ${CHAIN_OUT} 2>/dev/null || iptables -w -I OUTPUT 1 -j ${CHAIN_OUT}`,
    `while IFS=' ' read -r id rules; do`,
    `  if err=$(printf '%s' "$rules" | base64 -d | iptables-restore -w --noflush 2>&1); then`,
    `    echo "ok $id"; else echo "err $id $(printf '%s' "$err" | tr '\\n' ' ')"; fi`,
    `done`,
    `exec sleep infinity`,
  ].join("\n"),
];

const ACK_TIMEOUT_MS = 5000;

export class RuleAgent {
  private readonly pending = new Map<string, (err?: Error) => void>();
  private buffer = "";
  private closed = false;

  private constructor(private readonly stream: Duplex) {
    const out = new PassThrough();
    docker().modem.demuxStream(stream, out, new PassThrough());
    out.on("data", (chunk: Buffer) => this.onOutput(chunk.toString()));
    const close = () => this.close(new Error("the rule agent's stream closed"));
    stream.on("end", close);
    stream.on("close", close);
    stream.on("error", close);
  }

  /** Attach to a running infra container's stdin/stdout. */
  static async connect(container: Docker.Container): Promise<RuleAgent> {
    const stream = (await container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    })) as Duplex;
    // The open stream must not keep a finished control process alive.
    (stream as Duplex & { unref?: () => void }).unref?.();
    (stream as { socket?: { unref?: () => void } }).socket?.unref?.();
    return new RuleAgent(stream);
  }

  get alive(): boolean {
    return !this.closed;
  }

  /** Load an iptables-restore input; resolves when the agent confirms it. */
  apply(rules: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the rule agent is gone"));
    const id = randomBytes(6).toString("hex");
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the rule agent did not answer within ${ACK_TIMEOUT_MS} ms`));
      }, ACK_TIMEOUT_MS);
      this.pending.set(id, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
      this.stream.write(`${id} ${Buffer.from(rules).toString("base64")}\n`);
    });
  }

  close(reason = new Error("the rule agent was closed")): void {
    if (this.closed) return;
    this.closed = true;
    for (const done of this.pending.values()) done(reason);
    this.pending.clear();
    this.stream.destroy();
  }

  private onOutput(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const m = /^(ok|err) (\S+) ?(.*)$/.exec(line);
      const done = m && this.pending.get(m[2]);
      if (!m || !done) continue; // another control process's answer, or noise
      this.pending.delete(m[2]);
      done(m[1] === "ok" ? undefined : new Error(`iptables-restore failed: ${m[3]}`));
    }
  }
}
