// The simulated network with Maelstrom's lin-kv service beside the nodes, as Faultline runs
// it in the control process: the same store (targets/host/services/kv-store.ts), reached with
// seeded delays, never lost and never partitioned from a node. A node that crashes before a
// reply arrives never sees it (its service link broke), as with the real node host.
import { KvStore } from "../../targets/host/services/kv-store.ts";
import type { Message, Node } from "../../targets/lib/node.ts";
import { SimNetwork } from "./sim-network.ts";

export const LIN_KV = "lin-kv";

export class SimNetworkWithServices extends SimNetwork {
  readonly linKv = new KvStore(LIN_KV);
  /** Requests the service has answered, by body type (for assertions). */
  readonly served = new Map<string, number>();
  /** Called with every message a node sends, before the network carries it. */
  onSend: (msg: Message) => void = () => {};
  private incarnations = new Map<string, number>();

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
    if (msg.dest !== LIN_KV) return super.send(msg);
    const incarnation = this.incarnations.get(msg.src);
    const [min, max] = this.opts.delayMs ?? [1, 10];
    const delay = () => min + this.random() * (max - min);
    // Applied when it arrives, in arrival order; the reply travels back to the same incarnation.
    this.schedule(delay(), () => {
      const reply = this.linKv.handle(msg.body);
      this.served.set(msg.body.type, (this.served.get(msg.body.type) ?? 0) + 1);
      this.schedule(delay(), () => {
        if (this.incarnations.get(msg.src) !== incarnation) return;
        this.node(msg.src)?.receive({
          src: LIN_KV,
          dest: msg.src,
          body: { ...reply, in_reply_to: msg.body.msg_id },
        });
      });
    });
  }
}
