// The harness-side client for node-protocol targets: turns history operations into
// Maelstrom lin-kv requests and their replies into completions. A timeout or a lost
// connection is `info` (the request may still take effect); an error code is `fail` or
// `info` according to Maelstrom's table (errors.ts).
import type { Client, Completion } from "../types.ts";
import { UserError } from "../../core/errors.ts";
import { HostConnection } from "./connection.ts";
import type { Body, NoReply } from "./connection.ts";
import { errorKind } from "./errors.ts";
import { CLIENT_PORT } from "./ports.ts";

export interface ClientOp {
  f: string;
  key?: string;
  value?: unknown;
}

/** The request body for an operation: read, write, cas (value [from, to]) or echo. */
export function requestBody(op: ClientOp): Body {
  switch (op.f) {
    case "read":
      return { type: "read", key: op.key };
    case "write":
      return { type: "write", key: op.key, value: op.value };
    case "cas": {
      if (!Array.isArray(op.value) || op.value.length !== 2) {
        throw new UserError(
          `a cas operation needs value [from, to], got ${JSON.stringify(op.value)}`,
        );
      }
      return { type: "cas", key: op.key, from: op.value[0], to: op.value[1] };
    }
    case "echo":
      return { type: "echo", echo: op.value };
    default:
      throw new UserError(`this client supports read, write, cas and echo, not ${op.f}`);
  }
}

/** The completion for a reply (or for the lack of one). */
export function completionOf(op: ClientOp, reply: Body | NoReply): Completion {
  if (reply === "refused") return { type: "fail", error: "connection-refused" };
  if (reply === "timeout" || reply === "connection-lost") return { type: "info", error: reply };
  if (reply.type === "error") {
    const kind = errorKind(Number(reply.code));
    const error = { code: kind.code, name: kind.name, text: reply.text };
    return { type: kind.definite ? "fail" : "info", error };
  }
  switch (op.f) {
    case "read":
      return { type: "ok", value: reply.value };
    case "echo":
      return { type: "ok", value: reply.echo };
    default:
      return { type: "ok", value: op.value };
  }
}

/** A Client talking to one node through its host; reconnects after a lost connection. */
export class HostClient implements Client {
  private conn: HostConnection | undefined;

  constructor(
    readonly address: string,
    readonly nodeId: string,
    readonly port = CLIENT_PORT,
  ) {}

  async invoke(op: ClientOp, timeoutMs: number): Promise<Completion> {
    const body = requestBody(op);
    const started = Date.now();
    if (!this.conn?.isOpen) {
      try {
        this.conn = await HostConnection.connect(this.address, this.port, timeoutMs);
      } catch {
        // Nothing was sent, so the operation certainly did not happen.
        return completionOf(op, "refused");
      }
    }
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return completionOf(op, await this.conn.request(this.nodeId, body, left));
  }

  async close(): Promise<void> {
    await this.conn?.close();
    this.conn = undefined;
  }
}
