// A lock: acquire succeeds only when it is free, release only when it is held.
import { INCONSISTENT, unsupported, type Model, type ModelOptions } from "./model.ts";

export function mutexModel(options: ModelOptions): Model<boolean> {
  return {
    name: "mutex",
    init: options.init === true || options.init === "locked",
    step(held, op) {
      if (op.f === "acquire") return held ? INCONSISTENT : true;
      if (op.f === "release") return held ? false : INCONSISTENT;
      throw unsupported("mutex", op, "acquire, release");
    },
    key: (held) => held,
    readOnly: () => false,
    partitionKey: (op) => op.key ?? "",
    describe: (held) => (held ? "held" : "free"),
  };
}
