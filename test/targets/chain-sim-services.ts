// (chain's own copy; test/targets/sim-services.ts is primary-backup's: one of them should serve both)
// The simulated network with Maelstrom's lin-kv service, as Faultline's control process runs
// it (docs/node-protocol.md, "Maelstrom's services"): one store that outlives node crashes
// and is never partitioned from the nodes, each request applied whole in the order it
// arrives, replies after a seeded delay. Client-bound messages can go to a handler instead of
// the inbox, for tests that drive many clients at once.
import type { Message } from "../../targets/lib/node.ts";
import { KvStore } from "../../targets/host/services/kv-store.ts";
import { SimNetwork } from "./sim-network.ts";
import type { SimOptions } from "./sim-network.ts";

export class ServiceSimNetwork extends SimNetwork {
  readonly linKv = new KvStore("lin-kv");
  /** Messages to clients (not nodes, not lin-kv); when unset they go to clientInbox. */
  onClientMessage: ((msg: Message) => void) | undefined;

  constructor(
    nodeIds: string[],
    opts: SimOptions,
    /** One-way delay to and from the service, ms, uniform in [min, max). */
    readonly serviceDelayMs: [number, number] = [0.5, 2],
  ) {
    super(nodeIds, opts);
  }

  override send(msg: Message): void {
    if (msg.dest === "lin-kv") {
      const [min, max] = this.serviceDelayMs;
      const delay = () => min + this.random() * (max - min);
      const body = JSON.parse(JSON.stringify(msg.body)) as Message["body"];
      this.schedule(delay(), () => {
        const reply = { ...this.linKv.handle(body), in_reply_to: body.msg_id };
        // The reply reaches whatever runs as the node then (a restarted node ignores it).
        this.schedule(delay(), () => {
          const node = this.node(msg.src);
          if (node)
            this.inNode(msg.src, () => node.receive({ src: "lin-kv", dest: msg.src, body: reply }));
        });
      });
      return;
    }
    const toClient = msg.dest !== "sim" && !this.nodeIds.includes(msg.dest);
    if (toClient && this.onClientMessage) return this.onClientMessage(msg);
    super.send(msg);
  }
}
