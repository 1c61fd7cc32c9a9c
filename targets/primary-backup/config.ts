// The configuration of a primary-backup group: which epoch it is in, who is the primary and
// who are the members (the primary and its backups). It lives under one key of Maelstrom's
// `lin-kv` service, which Faultline runs in the control process: linearizable, never
// partitioned from a node and outliving every node fault, so it plays the part of a
// coordination service (a ZooKeeper). Nodes change it only by compare-and-set from the exact
// configuration they act in, so each epoch has one configuration and one primary.
import { jsonEqual } from "../host/services/kv-store.ts";
import type { Body, Node } from "../lib/node.ts";

export interface Config {
  epoch: number;
  primary: string;
  /** Every member, the primary included: the nodes whose acks an update needs. */
  members: string[];
}

/** The lin-kv key that holds the configuration. */
export const CONFIG_KEY = "primary-backup/config";
export const CONFIG_SERVICE = "lin-kv";

export function sameConfig(a: Config | undefined, b: Config | undefined): boolean {
  return a !== undefined && b !== undefined && jsonEqual(a, b);
}

export function isConfig(x: unknown): x is Config {
  const c = x as Config;
  return (
    typeof c === "object" &&
    c !== null &&
    typeof c.epoch === "number" &&
    typeof c.primary === "string" &&
    Array.isArray(c.members)
  );
}

/** What a read of the configuration came to. */
export type ConfigRead =
  { kind: "found"; config: Config } | { kind: "missing" } | { kind: "unavailable"; text: string };

/** The configuration service, as one node talks to it (callbacks, like the rest of the node,
 *  so that the simulated network runs it synchronously). */
export class ConfigService {
  constructor(
    private readonly node: Node,
    private readonly timeoutMs: number,
  ) {}

  read(done: (r: ConfigRead) => void): void {
    this.node.request(CONFIG_SERVICE, { type: "read", key: CONFIG_KEY }, this.timeoutMs, (r) => {
      if (r?.type === "read_ok" && isConfig(r.value))
        return done({ kind: "found", config: r.value });
      if (r?.type === "error" && r.code === 20) return done({ kind: "missing" });
      done({ kind: "unavailable", text: describe(r) });
    });
  }

  /** Replace `from` by `to` if `from` is still the configuration (undefined: create it).
   *  `ok` is true if it certainly happened, false if it certainly did not, undefined if the
   *  outcome is unknown (no reply in time): read the configuration to find out. */
  cas(from: Config | undefined, to: Config, done: (ok: boolean | undefined) => void): void {
    const body: Body =
      from === undefined
        ? { type: "cas", key: CONFIG_KEY, from: null, to, create_if_not_exists: true }
        : { type: "cas", key: CONFIG_KEY, from, to };
    this.node.request(CONFIG_SERVICE, body, this.timeoutMs, (r) => done(outcome(r, "cas_ok")));
  }

  /** Overwrite the configuration whatever it is (the no-epochs variant's announcement). */
  write(to: Config, done: (ok: boolean | undefined) => void): void {
    const body = { type: "write", key: CONFIG_KEY, value: to };
    this.node.request(CONFIG_SERVICE, body, this.timeoutMs, (r) => done(outcome(r, "write_ok")));
  }
}

function outcome(r: Body | undefined, okType: string): boolean | undefined {
  if (r?.type === okType) return true;
  // 20 (missing), 22 (not `from`) and 11 (no service link: never sent) are definite.
  if (r?.type === "error" && [11, 20, 22].includes(Number(r.code))) return false;
  return undefined;
}

function describe(r: Body | undefined): string {
  if (!r) return "no reply";
  return r.type === "error" ? `error ${String(r.code)}: ${String(r.text)}` : r.type;
}
