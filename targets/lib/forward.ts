// Forwarding a client's request to the node that can serve it (the leader, the head, ...),
// once: its answer goes back to the client as the forwarding node's own. No answer in time
// means the outcome is unknown (the request may have taken effect there).
import { ERRORS } from "../host/errors.ts";
import type { Body, Message, Node } from "./node.ts";

export function forwardRequest(
  node: Node,
  to: string,
  body: Body,
  timeoutMs: number,
  respond: (reply: Body) => void,
): void {
  const request = { ...body };
  delete request.msg_id;
  node.request(to, { type: "forward", request }, timeoutMs, (reply) => {
    if (!reply) {
      const text = `no answer from ${to} in time; outcome unknown`;
      return respond({ type: "error", code: ERRORS.timeout.code, text });
    }
    const { in_reply_to: _ignored, ...rest } = reply;
    respond(rest as Body);
  });
}

/** The client request a `forward` message carries. */
export function forwardedRequest(msg: Message): Body {
  return msg.body.request as Body;
}
