// Several registers read and written together in transactions: f "txn" with a value of
// micro-ops [[f, key, value], ...] (f read or write), as Jepsen's multi-register test records.
// A transaction spans keys, so this model is checked whole, not split by key.
import { sameValue, showValue } from "../values.ts";
import { INCONSISTENT, badValue, unsupported, type Model, type ModelOptions } from "./model.ts";

type State = Readonly<Record<string, unknown>>;

export function multiRegisterModel(options: ModelOptions): Model<State> {
  const init: State =
    options.init !== null && typeof options.init === "object" && !Array.isArray(options.init)
      ? { ...(options.init as State) }
      : {};
  const nilMeansUnknown = (options.nilRead ?? "unknown") === "unknown";
  return {
    name: "multi-register",
    init,
    step(state, op) {
      if (op.f !== "txn") throw unsupported("multi-register", op, "txn");
      if (!Array.isArray(op.value))
        throw badValue("multi-register", op, "a list of [f key value] micro-ops");
      let next: Record<string, unknown> | undefined;
      for (const micro of op.value) {
        if (!Array.isArray(micro) || micro.length !== 3)
          throw badValue("multi-register", op, "a list of [f key value] micro-ops");
        const [f, k, v] = micro as [unknown, unknown, unknown];
        const key = String(k);
        const current = (next ?? state)[key] ?? null;
        if (f === "read") {
          if (v === null || v === undefined) {
            if (!nilMeansUnknown && !op.unknownResult && current !== null) return INCONSISTENT;
          } else if (!sameValue(current, v)) return INCONSISTENT;
        } else if (f === "write") {
          next ??= { ...state };
          next[key] = v;
        } else {
          throw badValue("multi-register", op, "micro-ops whose f is read or write");
        }
      }
      return next ?? state;
    },
    key: (state) =>
      Object.keys(state)
        .sort()
        .map((k) => `${k}=${JSON.stringify(state[k] ?? null)}`)
        .join(","),
    readOnly: (op) =>
      Array.isArray(op.value) && op.value.every((m) => Array.isArray(m) && m[0] === "read"),
    describe: (state) =>
      "{" +
      Object.keys(state)
        .sort()
        .map((k) => `${k} ${showValue(state[k] ?? null)}`)
        .join(", ") +
      "}",
  };
}
