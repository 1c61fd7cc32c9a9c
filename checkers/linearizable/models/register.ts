// Registers: a single value read and written (register), also compare-and-set (cas-register),
// and the multi-key kv store checked per key (read/write/cas, and get/put/append on strings).
// Keyed ops (a `key` field) are split by key: each key is an independent register.
import { showValue, valueKey, sameValue } from "../values.ts";
import {
  INCONSISTENT,
  badValue,
  unsupported,
  type Growth,
  type Inconsistent,
  type Model,
  type ModelOp,
  type ModelOptions,
} from "./model.ts";

type Flavour = "register" | "cas-register" | "kv";

const SUPPORTED: Record<Flavour, string> = {
  register: "read, write",
  "cas-register": "read, write, cas",
  kv: "read/get, write/put, cas, append",
};

/** Initial value of one key: a plain-object `init` maps keys to values; anything else applies to all. */
function initOf(init: unknown, key: string): unknown {
  if (init !== null && typeof init === "object" && !Array.isArray(init)) {
    return (init as Record<string, unknown>)[key] ?? null;
  }
  return init ?? null;
}

export function registerModel(flavour: Flavour, options: ModelOptions): Model<unknown> {
  const nilMeansUnknown =
    (options.nilRead ?? (flavour === "kv" ? "absent" : "unknown")) === "unknown";
  const init = options.init;
  const allowCas = flavour !== "register";
  const allowStrings = flavour === "kv";

  function read(state: unknown, op: ModelOp): unknown | Inconsistent {
    const v = op.value;
    if (v === null || v === undefined) {
      if (nilMeansUnknown || op.unknownResult) return state;
      return state === null ? state : INCONSISTENT;
    }
    return state === v || sameValue(state, v) ? state : INCONSISTENT;
  }

  return {
    name: flavour,
    init: initOf(init, ""),
    step(state, op) {
      switch (op.f) {
        case "read":
          return read(state, op);
        case "write":
          return op.value === undefined ? null : op.value;
        case "cas": {
          if (!allowCas)
            throw unsupported(
              flavour,
              op,
              SUPPORTED[flavour] + "; use --model cas-register for cas",
            );
          const v = op.value;
          if (!Array.isArray(v) || v.length !== 2) throw badValue(flavour, op, "[from, to]");
          return sameValue(state, v[0]) ? v[1] : INCONSISTENT;
        }
      }
      if (allowStrings) {
        switch (op.f) {
          case "get":
            return read(state, op);
          case "put":
            return op.value === undefined ? null : op.value;
          case "append":
            if (typeof op.value !== "string") throw badValue(flavour, op, "a string");
            return (state === null || state === undefined ? "" : String(state)) + op.value;
        }
      }
      throw unsupported(flavour, op, SUPPORTED[flavour]);
    },
    key: valueKey,
    readOnly: (op) => op.f === "read" || op.f === "get",
    partitionKey: (op) => op.key ?? "",
    initFor: (key) => initOf(init, key),
    describe: (state) => (state === null || state === undefined ? "nil" : showValue(state)),
    growth: allowStrings ? appendGrowth : undefined,
  };
}

/** Appends only extend a string: a read of v can follow state s by appends alone only if v
 *  starts with s (append treats nil as ""). Put and write leave their value; cas depends. */
const appendGrowth: Growth<unknown> = {
  extends: (op) => op.f === "append",
  resetsTo: (op) =>
    op.f === "put" || op.f === "write"
      ? { state: op.value === undefined ? null : op.value }
      : undefined,
  canExtendTo(state, read) {
    const v = read.value;
    if (v === null || v === undefined || sameValue(state, v)) return true;
    if (typeof v !== "string") return false; // appends make strings
    return v.startsWith(state === null || state === undefined ? "" : String(state));
  },
};
