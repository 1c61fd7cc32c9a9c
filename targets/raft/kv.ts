// The replicated state machine: a key-value map with Maelstrom lin-kv's read, write and cas.
// Raft applies committed commands here, in log order, on every node.
import { ERRORS } from "../host/errors.ts";
import type { Body } from "../lib/node.ts";

export type Command =
  | { type: "noop" }
  | { type: "read"; key: string }
  | { type: "write"; key: string; value: unknown }
  | { type: "cas"; key: string; from: unknown; to: unknown; create_if_not_exists?: boolean };

/** Turn a client's lin-kv request body into a command, or undefined if it is not one. */
export function commandOf(body: Body): Command | undefined {
  const key = String(body.key);
  switch (body.type) {
    case "read":
      return { type: "read", key };
    case "write":
      return { type: "write", key, value: body.value };
    case "cas":
      return {
        type: "cas",
        key,
        from: body.from,
        to: body.to,
        create_if_not_exists: body.create_if_not_exists === true,
      };
    default:
      return undefined;
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class KvStore {
  private map = new Map<string, unknown>();

  /** Every key and value, for a snapshot (Raft's compaction, chain's state transfer). */
  entries(): [string, unknown][] {
    return [...this.map];
  }

  /** Replace the whole state by a snapshot's. */
  restore(entries: [string, unknown][]): void {
    this.map = new Map(entries);
  }

  /** Apply a command; returns the reply body for the client who asked for it. */
  apply(cmd: Command): Body {
    switch (cmd.type) {
      case "noop":
        return { type: "noop_ok" };
      case "read":
        return this.read(cmd.key);
      case "write":
        this.map.set(cmd.key, cmd.value);
        return { type: "write_ok" };
      case "cas": {
        if (!this.map.has(cmd.key) && !cmd.create_if_not_exists) {
          return notFound(cmd.key);
        }
        const current = this.map.get(cmd.key);
        if (this.map.has(cmd.key) && !same(current, cmd.from)) {
          return {
            type: "error",
            code: ERRORS.preconditionFailed.code,
            text: `expected ${JSON.stringify(cmd.from)}, had ${JSON.stringify(current)}`,
          };
        }
        this.map.set(cmd.key, cmd.to);
        return { type: "cas_ok" };
      }
    }
  }

  /** The local value, without any coordination (only linearizable when applied via the log). */
  read(key: string): Body {
    if (!this.map.has(key)) return notFound(key);
    return { type: "read_ok", value: this.map.get(key) };
  }
}

function notFound(key: string): Body {
  return { type: "error", code: ERRORS.keyDoesNotExist.code, text: `key ${key} does not exist` };
}
