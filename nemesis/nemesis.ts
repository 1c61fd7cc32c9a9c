// Carries out a fault schedule against a live cluster: applies and heals faults through their
// fault files (nemesis/faults/), records each as a nemesis op in the history, and remembers
// what is active so that healAll() can undo everything at the end of a run, also an
// interrupted one. It knows no fault kind by itself.
import type { Cluster } from "../core/runtime.ts";
import type { MessageRule, Target } from "../targets/types.ts";
import type { RunClock } from "../core/clock.ts";
import type { Recorder } from "../histories/op.ts";
import { sleep } from "../core/clock.ts";
import type { FaultContext } from "./fault.ts";
import { faultOf, type PlannedFault } from "./faults/index.ts";
import { MESSAGE_FAULTS } from "./faults/message-rules.ts";
import type { NemesisEvent } from "./schedule.ts";

/** A fault in effect, as the progress line and report show it. */
export interface ActiveFault {
  id: number;
  kind: PlannedFault["kind"];
  nodes: string[];
  label: string;
}

export class Nemesis {
  private readonly active = new Map<number, ActiveFault>();
  /** The fault as applied (re-aimed at run time), needed to heal it. */
  private readonly applied = new Map<number, PlannedFault>();
  private healingAll = false;
  /** A fault set message rules in the hosts: healAll clears them on every node. */
  private usedMessageRules = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly target: Pick<Target, "leader" | "fixedLeader" | "messageRules">,
    private readonly recorder: Recorder,
    private readonly clock: RunClock,
  ) {}

  activeFaults(): ActiveFault[] {
    return [...this.active.values()];
  }

  /** Run the schedule until it ends or `signal` aborts. Errors of single faults are recorded
   *  (as info) and do not stop the run. */
  async run(events: readonly NemesisEvent[], signal: AbortSignal): Promise<void> {
    for (const event of events) {
      await sleep(event.atMs - this.clock.elapsedMs(), signal);
      if (signal.aborted) return;
      if (event.action === "start") await this.start(event);
      else await this.stop(event.faultId);
    }
  }

  /** Undo every active fault, and clear the network whatever we think is active. */
  async healAll(): Promise<void> {
    this.healingAll = true;
    for (const id of [...this.active.keys()]) await this.stop(id);
    await this.cluster.healNetwork().catch(() => undefined);
    const clear = this.context().messageRules;
    if (this.usedMessageRules && clear)
      await Promise.all(this.cluster.nodes.map((n) => clear(n.name, []).catch(() => undefined)));
  }

  private context(): FaultContext {
    const target = this.target;
    return {
      ...(target.messageRules
        ? {
            messageRules: (node: string, rules: MessageRule[]) =>
              target.messageRules!(this.cluster, node, rules),
          }
        : {}),
      cluster: this.cluster,
      leader: async () => this.target.leader?.(this.cluster).catch(() => undefined),
      tellsLeader: this.target.leader !== undefined,
      fixedLeader: this.target.fixedLeader === true,
      healingAll: this.healingAll,
    };
  }

  private async start({ faultId: id, fault: planned, pinned }: NemesisEvent): Promise<void> {
    const fault = faultOf(planned.kind);
    const ctx = this.context();
    if ((MESSAGE_FAULTS as readonly string[]).includes(planned.kind)) this.usedMessageRules = true;
    // A pinned fault (a replay) hits the nodes it hit when it was recorded.
    const resolved = fault.resolve && !pinned ? await fault.resolve(planned, ctx) : planned;
    const nodes = fault.nodes(resolved);
    const detail = fault.detail(resolved);
    // The start's invoke also carries the fault as applied (victims chosen at run time
    // included) and its id in the schedule: what `faultline replay` needs to apply it again.
    this.record("invoke", fault.startF, nodes, detail, undefined, { faultId: id, fault: resolved });
    // Marked active before it is applied: a half-applied fault must still be healed.
    this.active.set(id, { id, kind: planned.kind, nodes, label: fault.describe(resolved) });
    this.applied.set(id, resolved);
    try {
      await fault.apply(resolved, ctx);
      this.record("info", fault.startF, nodes, detail);
    } catch (err) {
      this.record("info", fault.startF, nodes, detail, errorText(err));
    }
  }

  private async stop(id: number): Promise<void> {
    const planned = this.applied.get(id);
    const active = this.active.get(id);
    if (!planned || !active) return;
    const fault = faultOf(planned.kind);
    this.record("invoke", fault.stopF, active.nodes);
    try {
      const detail = await fault.heal(planned, this.context());
      this.record("info", fault.stopF, active.nodes, detail);
    } catch (err) {
      this.record("info", fault.stopF, active.nodes, undefined, errorText(err));
    }
    this.active.delete(id);
    this.applied.delete(id);
  }

  private record(
    type: "invoke" | "info",
    f: string,
    nodes: string[],
    detail?: unknown,
    error?: string,
    extra?: { faultId: number; fault: PlannedFault },
  ): void {
    this.recorder.append({
      time: this.clock.nowNs(),
      process: "nemesis",
      type,
      f,
      value: nodes,
      ...(detail !== undefined ? { detail } : {}),
      ...(error !== undefined ? { error } : {}),
      ...extra,
    });
  }
}

/** A short human label of a planned fault: "partition ring", "kill n1,n3". */
export function describe(fault: PlannedFault): string {
  return faultOf(fault.kind).describe(fault);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
