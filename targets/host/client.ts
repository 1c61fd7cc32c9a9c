// The harness-side client for node-protocol targets. It only carries bodies: the workload's
// codec turns an operation into a request body and the reply into a completion. What the
// client decides itself is what no reply means: a refused connection is `fail` (nothing was
// sent), a timeout or a lost connection is `info` (the request may still take effect).
import type { Body, Client, ClientOp, Completion, MessageCodec } from "../types.ts";
import { HostConnection, type NoReply } from "./connection.ts";
import { CLIENT_PORT } from "./ports.ts";

/** The completion when there was no reply at all. */
export function noReplyCompletion(reply: NoReply): Completion {
  if (reply === "refused") return { type: "fail", error: "connection-refused" };
  return { type: "info", error: reply };
}

/** A Client talking to one node through its host; reconnects after a lost connection. */
export class HostClient implements Client {
  private conn: HostConnection | undefined;

  constructor(
    readonly address: string,
    readonly nodeId: string,
    readonly codec: MessageCodec,
    readonly port = CLIENT_PORT,
  ) {}

  async invoke(op: ClientOp, timeoutMs: number): Promise<Completion> {
    const body = this.codec.request(op);
    const started = Date.now();
    if (!this.conn?.isOpen) {
      try {
        this.conn = await HostConnection.connect(this.address, this.port, timeoutMs);
      } catch {
        // Nothing was sent, so the operation certainly did not happen.
        return noReplyCompletion("refused");
      }
    }
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    const reply: Body | NoReply = await this.conn.request(this.nodeId, body, left);
    if (reply === "timeout") {
      // Give up on it for good: the host drops a request whose connection closed before it
      // was read (a frozen node's backlog), and the next op gets a fresh connection.
      void this.conn.close();
      this.conn = undefined;
    }
    return typeof reply === "string" ? noReplyCompletion(reply) : this.codec.complete(op, reply);
  }

  async close(): Promise<void> {
    await this.conn?.close();
    this.conn = undefined;
  }
}
