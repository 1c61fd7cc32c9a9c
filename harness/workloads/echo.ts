// Maelstrom's echo workload: send a payload, expect it back. Payloads are random strings that
// include quotes, backslashes and non-ASCII characters, so a node that mangles JSON escapes or
// encodings is caught, not only one that drops the field.
import type { Rng } from "../../core/rng.ts";
import { from, once } from "../generator/gen.ts";
import { codecOf } from "./messages.ts";
import type { Workload } from "./types.ts";

const ALPHABET = [...'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789"\\/é漢✓'];

export function randomPayload(rng: Rng): string {
  const length = rng.int(1, 24);
  let s = "";
  for (let i = 0; i < length; i++) s += rng.pick(ALPHABET);
  return s;
}

export function echoWorkload(): Workload {
  return {
    name: "echo",
    description: "echo random strings; every ok echo returns what was sent",
    generator: () => from((rng) => ({ f: "echo", value: randomPayload(rng) })),
    final: () => once([]),
    messages: codecOf("echo", {
      echo: {
        request: (op) => ({ type: "echo", echo: op.value }),
        // Without an `echo` field the reply echoed nothing: null, never the sent value (which
        // the worker would otherwise keep, hiding the fault).
        ok: (_op, reply) => ({ type: "ok", value: "echo" in reply ? reply.echo : null }),
      },
    }),
    checkers: [{ checker: "echo" }, { checker: "progress" }],
  };
}
