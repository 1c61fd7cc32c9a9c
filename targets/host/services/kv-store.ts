// The key-value stores behind Maelstrom's built-in services (lin-kv, seq-kv, lww-kv), kept in
// the control process so they outlive any node. Each service has its own store. Every
// request is applied whole, one at a time, in the order the control process receives it, so
// each store is linearizable: a valid implementation of seq-kv and lww-kv too (which promise
// less), though it never shows the stale reads those services allow.
//
// Bodies (Maelstrom's): read {key} -> read_ok {value} | error 20; write {key, value} ->
// write_ok; cas {key, from, to, create_if_not_exists?} -> cas_ok | error 20 | error 22.
import { ERRORS } from "../errors.ts";
import type { Body } from "../../types.ts";
import { SERVICE_NAMES } from "./names.ts";
import type { ServiceName } from "./names.ts";

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((x, i) => jsonEqual(x, bs[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  return (
    ak.length === Object.keys(bo).length &&
    ak.every((k) => k in bo && jsonEqual((a as Record<string, unknown>)[k], bo[k]))
  );
}

function error(kind: { code: number }, text: string): Body {
  return { type: "error", code: kind.code, text };
}

/** One service's store: JSON keys to JSON values. */
export class KvStore {
  /** Keys by their JSON text, so 1 and "1" are different keys, as in Maelstrom. */
  private readonly data = new Map<string, unknown>();

  constructor(readonly service: string) {}

  get size(): number {
    return this.data.size;
  }

  /** The value of a key, if it has one (for tests and reports). */
  get(key: unknown): unknown {
    return this.data.get(JSON.stringify(key));
  }

  /** The reply body (without in_reply_to) to one request body. */
  handle(body: Body): Body {
    if (!("key" in body) || body.key === undefined) {
      if (["read", "write", "cas"].includes(body.type)) {
        return error(ERRORS.malformedRequest, `${body.type} needs a key`);
      }
    }
    const k = JSON.stringify(body.key);
    switch (body.type) {
      case "read":
        if (!this.data.has(k)) return error(ERRORS.keyDoesNotExist, "key does not exist");
        return { type: "read_ok", value: this.data.get(k) };
      case "write":
        if (!("value" in body)) return error(ERRORS.malformedRequest, "write needs a value");
        this.data.set(k, body.value);
        return { type: "write_ok" };
      case "cas": {
        if (!("from" in body) || !("to" in body)) {
          return error(ERRORS.malformedRequest, "cas needs from and to");
        }
        if (!this.data.has(k)) {
          if (body.create_if_not_exists === true) {
            this.data.set(k, body.to);
            return { type: "cas_ok" };
          }
          return error(ERRORS.keyDoesNotExist, "key does not exist");
        }
        const current = this.data.get(k);
        if (!jsonEqual(current, body.from)) {
          return error(
            ERRORS.preconditionFailed,
            `expected ${JSON.stringify(body.from)}, but had ${JSON.stringify(current)}`,
          );
        }
        this.data.set(k, body.to);
        return { type: "cas_ok" };
      }
      default:
        return error(ERRORS.notSupported, `${this.service} does not support ${body.type}`);
    }
  }
}

/** One store per service name, for the life of a run. */
export class KvStores {
  private readonly stores = new Map<ServiceName, KvStore>(
    SERVICE_NAMES.map((name) => [name, new KvStore(name)]),
  );

  store(name: ServiceName): KvStore {
    return this.stores.get(name)!;
  }
}
