// The simulated network with Maelstrom's lin-kv service beside the nodes, as Faultline runs
// it in the control process: the same store (targets/host/services/kv-store.ts), reached with
// seeded delays, never lost and never partitioned from a node. A node that crashes before a
// reply arrives never sees it (its service link broke), as with the real node host. Tests that
// drive many clients at once can take client-bound messages in `onClientMessage`.
import { KvStore } from "../../targets/host/services/kv-store.ts";
import type { Message, Node } from "../../targets/lib/node.ts";
import { SimNetwork, type SimOptions } from "./sim-network.ts";

export const LIN_KV = "lin-kv";

export class SimNetworkWithServices extends SimNetwork {
  readonly linKv = new KvStore(LIN_KV);
  /** Requests the service has answered, by body type (for assertions). */
  readonly served = new Map<string, number>();
  /** Called with every message a node sends, before the network carries it. */
  onSend: (msg: Message) => void = () => {};
  /** Messages to clients (not nodes, not the service); when unset they go to clientInbox. */
  onClientMessage: ((msg: Message) => void) | undefined;
  private incarnations = new Map<string, number>();

  constructor(
    nodeIds: string[],
    opts: SimOptions,
    /** One-way delay to and from the service, ms, uniform in [min, max) (default: the
     *  network's own delay). */
    readonly serviceDelayMs: [number, number] = opts.delayMs ?? [1, 10],
  ) {
    super(nodeIds, opts);
  }

  override start(id: string, setup: (node: Node) => void): Node {
    this.incarnations.set(id, (this.incarnations.get(id) ?? 0) + 1);
    return super.start(id, setup);
  }

  override crash(id: string): void {
    this.incarnations.set(id, (this.incarnations.get(id) ?? 0) + 1);
    super.crash(id);
  }

  override send(msg: Message): void {
    this.onSend(msg);
    if (msg.dest !== LIN_KV) {
      const toClient = msg.dest !== "sim" && !this.nodeIds.includes(msg.dest);
      if (toClient && this.onClientMessage) return this.onClientMessage(msg);
      return super.send(msg);
    }
    const incarnation = this.incarnations.get(msg.src);
    // A copy, as a real network would carry: the node may change its objects after sending.
    const request = structuredClone(msg.body);
    const [min, max] = this.serviceDelayMs;
    const delay = () => min + this.random() * (max - min);
    // Applied when it arrives, in arrival order; the reply travels back to the same incarnation.
    this.schedule(delay(), () => {
      const reply = this.linKv.handle(request);
      this.served.set(request.type, (this.served.get(request.type) ?? 0) + 1);
      this.schedule(delay(), () => {
        if (this.incarnations.get(msg.src) !== incarnation) return;
        const node = this.node(msg.src);
        const body = { ...reply, in_reply_to: request.msg_id };
        // A paused node takes it when it resumes.
        if (node) this.inNode(msg.src, () => node.receive({ src: LIN_KV, dest: msg.src, body }));
      });
    });
  }
}
