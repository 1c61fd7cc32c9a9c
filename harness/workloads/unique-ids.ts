// Maelstrom's unique-ids workload: ask any node for an id; ids must never repeat, across nodes
// and partitions (the workload is "totally available": a node must answer on its own).
import { from, once } from "../generator/gen.ts";
import { codecOf } from "./messages.ts";
import type { Workload } from "./types.ts";

export function uniqueIdsWorkload(): Workload {
  return {
    name: "unique-ids",
    description: "generate ids on any node; every ok id is distinct",
    generator: () => from(() => ({ f: "generate" })),
    final: () => once([]),
    messages: codecOf("unique-ids", {
      generate: {
        request: () => ({ type: "generate" }),
        // A reply without an id is recorded as null, which the checker reports as missing.
        ok: (_op, reply) => ({ type: "ok", value: reply.id ?? null }),
      },
    }),
    checkers: [{ checker: "unique-ids" }, { checker: "progress" }],
  };
}
