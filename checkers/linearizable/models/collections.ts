// A set (add, read of the whole set) and a FIFO queue (enqueue, dequeue). States are kept as
// arrays of element keys (JSON text) so that equal states have equal keys.
import { INCONSISTENT, badValue, unsupported, type Model, type ModelOptions } from "./model.ts";

function elementKey(v: unknown): string {
  return JSON.stringify(v ?? null);
}

export function setModel(options: ModelOptions): Model<string[]> {
  const init = Array.isArray(options.init) ? [...new Set(options.init.map(elementKey))].sort() : [];
  return {
    name: "set",
    init,
    step(state, op) {
      if (op.f === "add") {
        const k = elementKey(op.value);
        if (state.includes(k)) return state;
        return [...state, k].sort();
      }
      if (op.f === "read") {
        if (op.value === null || op.value === undefined) {
          return (options.nilRead ?? "unknown") === "unknown" ||
            op.unknownResult ||
            state.length === 0
            ? state
            : INCONSISTENT;
        }
        if (!Array.isArray(op.value)) throw badValue("set", op, "an array of the elements read");
        const read = [...new Set(op.value.map(elementKey))].sort();
        if (read.length !== state.length) return INCONSISTENT;
        for (let i = 0; i < read.length; i++) if (read[i] !== state[i]) return INCONSISTENT;
        return state;
      }
      throw unsupported("set", op, "add, read");
    },
    key: (state) => state.join("\u0001"),
    readOnly: (op) => op.f === "read",
    partitionKey: (op) => op.key ?? "",
    describe: (state) => `#{${state.join(" ")}}`,
  };
}

export function queueModel(options: ModelOptions): Model<string[]> {
  const init = Array.isArray(options.init) ? options.init.map(elementKey) : [];
  return {
    name: "queue",
    init,
    step(state, op) {
      if (op.f === "enqueue") return [...state, elementKey(op.value)];
      if (op.f === "dequeue") {
        // An info dequeue may have removed whatever was at the head.
        if (op.unknownResult) return state.slice(1);
        // An ok dequeue that returned nothing saw an empty queue.
        if (op.value === null || op.value === undefined)
          return state.length === 0 ? state : INCONSISTENT;
        return state.length > 0 && state[0] === elementKey(op.value)
          ? state.slice(1)
          : INCONSISTENT;
      }
      throw unsupported("queue", op, "enqueue, dequeue");
    },
    key: (state) => state.join("\u0001"),
    readOnly: () => false,
    partitionKey: (op) => op.key ?? "",
    describe: (state) => `[${state.join(" ")}]`,
  };
}
