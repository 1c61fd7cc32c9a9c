// The bodies tests send through a HostClient: lin-kv's read/write/cas plus echo.
import type { MessageCodec } from "../../targets/types.ts";
import { linKvWorkload } from "../../harness/workloads/lin-kv.ts";
import { codecOf } from "../../harness/workloads/messages.ts";

const kv = linKvWorkload().messages;
const echo = codecOf("echo", {
  echo: {
    request: (op) => ({ type: "echo", echo: op.value }),
    ok: (_op, reply) => ({ type: "ok", value: reply.echo }),
  },
});

export const kvAndEcho: MessageCodec = {
  request: (op) => (op.f === "echo" ? echo : kv).request(op),
  complete: (op, reply) => (op.f === "echo" ? echo : kv).complete(op, reply),
};
