// The models `--model` can name, with what each checks.
import { UserError } from "../../../core/errors.ts";
import { queueModel, setModel } from "./collections.ts";
import type { Model, ModelOptions } from "./model.ts";
import { multiRegisterModel } from "./multi-register.ts";
import { mutexModel } from "./mutex.ts";
import { registerModel } from "./register.ts";

export * from "./model.ts";

interface ModelEntry {
  description: string;
  create(options: ModelOptions): Model<unknown>;
}

export const MODELS: Record<string, ModelEntry> = {
  register: {
    description: "read/write register (per key if ops have keys)",
    create: (o) => registerModel("register", o),
  },
  "cas-register": {
    description: "read/write/cas register (per key if ops have keys)",
    create: (o) => registerModel("cas-register", o),
  },
  kv: {
    description: "key-value store checked per key: read/write/cas, get/put/append",
    create: (o) => registerModel("kv", o),
  },
  set: {
    description: "a set: add, read of all elements",
    create: (o) => setModel(o) as Model<unknown>,
  },
  queue: {
    description: "a FIFO queue: enqueue, dequeue",
    create: (o) => queueModel(o) as Model<unknown>,
  },
  mutex: {
    description: "a lock: acquire, release",
    create: (o) => mutexModel(o) as Model<unknown>,
  },
  "multi-register": {
    description: "registers read/written in txn ops (checked whole)",
    create: (o) => multiRegisterModel(o) as Model<unknown>,
  },
};

/** The model called `name`, built with `options`. */
export function createModel(name: string, options: ModelOptions = {}): Model<unknown> {
  const entry = MODELS[name];
  if (!entry)
    throw new UserError(
      `Unknown model "${name}"; choose one of: ${Object.keys(MODELS).join(", ")}.`,
    );
  return entry.create(options);
}
