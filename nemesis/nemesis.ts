// Carries out a fault schedule against a live cluster: applies and heals faults through the
// runtime, records each as a nemesis op in the history, and remembers what is active so that
// healAll() can undo everything at the end of a run, also an interrupted one.
import type { Cluster } from "../core/runtime.ts";
import type { Target } from "../targets/types.ts";
import type { RunClock } from "../core/clock.ts";
import type { Recorder } from "../histories/op.ts";
import { sleep } from "../core/clock.ts";
import { affectedNodes, isolate } from "./partitions.ts";
import type { NemesisEvent, PlannedFault } from "./schedule.ts";

/** A fault in effect, as the progress line and report show it. */
export interface ActiveFault {
  id: number;
  kind: PlannedFault["kind"];
  nodes: string[];
  label: string;
}

const START_F = {
  partition: "start-partition",
  kill: "kill",
  pause: "pause",
  clock: "start-clock",
  loss: "start-loss",
};
const STOP_F = {
  partition: "stop-partition",
  kill: "start",
  pause: "resume",
  clock: "stop-clock",
  loss: "stop-loss",
};

export class Nemesis {
  private readonly active = new Map<number, ActiveFault>();
  /** The fault as applied (leader resolved), needed to heal it. */
  private readonly planned = new Map<number, PlannedFault>();
  private healingAll = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly target: Pick<Target, "leader">,
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
      if (event.action === "start") await this.start(event.faultId, event.fault);
      else await this.stop(event.faultId);
    }
  }

  /** Undo every active fault, and clear the network whatever we think is active. */
  async healAll(): Promise<void> {
    this.healingAll = true;
    for (const id of [...this.active.keys()]) await this.stop(id);
    await this.cluster.healNetwork().catch(() => undefined);
  }

  private async start(id: number, fault: PlannedFault): Promise<void> {
    const resolved = await this.resolve(fault);
    const nodes = resolved.kind === "partition" ? affectedNodes(resolved.grudge) : resolved.nodes;
    const label = describe(resolved);
    const f = START_F[fault.kind];
    const detail = detailOf(resolved);
    this.record("invoke", f, nodes, detail);
    // Marked active before it is applied: a half-applied fault must still be healed.
    this.active.set(id, { id, kind: fault.kind, nodes, label });
    this.planned.set(id, resolved);
    try {
      await this.apply(resolved);
      this.record("info", f, nodes, detail);
    } catch (err) {
      this.record("info", f, nodes, detail, errorText(err));
    }
  }

  private async stop(id: number): Promise<void> {
    const fault = this.planned.get(id);
    const active = this.active.get(id);
    if (!fault || !active) return;
    const f = STOP_F[fault.kind];
    this.record("invoke", f, active.nodes);
    try {
      const detail = await this.heal(fault);
      this.record("info", f, active.nodes, detail);
    } catch (err) {
      this.record("info", f, active.nodes, undefined, errorText(err));
    }
    this.active.delete(id);
    this.planned.delete(id);
  }

  /** Replace "the leader" with the node that leads now (keeping the planned nodes when the
   *  target cannot tell). */
  private async resolve(fault: PlannedFault): Promise<PlannedFault> {
    const wantsLeader =
      fault.kind === "partition"
        ? fault.shape === "isolate-leader" || fault.shape === "isolate-one"
        : fault.who === "leader" || fault.who === "leader-majority";
    if (!wantsLeader || !this.target.leader) return fault;
    const leader = await this.target.leader(this.cluster).catch(() => undefined);
    if (!leader) return fault;
    if (fault.kind === "partition") {
      const names = this.cluster.nodes.map((n) => n.name);
      if (fault.shape === "isolate-leader")
        return { ...fault, grudge: isolate(names, leader), leaderFallback: leader };
      // isolate-one isolates a follower: the planned node, or the next one if it leads.
      const planned = fault.leaderFallback ?? names[0]!;
      if (planned !== leader || names.length < 2) return fault;
      const other = names[(names.indexOf(planned) + 1) % names.length]!;
      return { ...fault, grudge: isolate(names, other), leaderFallback: other };
    }
    if (fault.who === "leader-majority") {
      // The planned majority, with the leader in place of one of the others if it is missing.
      const nodes = (
        fault.nodes.includes(leader) ? fault.nodes : [leader, ...fault.nodes.slice(1)]
      ).sort();
      if (fault.kind !== "kill" || !fault.freeze) return { ...fault, nodes };
      const rest = this.cluster.nodes.map((n) => n.name).filter((n) => !nodes.includes(n));
      return { ...fault, nodes, freeze: { ...fault.freeze, nodes: rest } };
    }
    return { ...fault, nodes: [leader] };
  }

  private async apply(fault: PlannedFault): Promise<void> {
    const c = this.cluster;
    switch (fault.kind) {
      case "partition":
        return c.partition(fault.grudge);
      case "kill":
        if (fault.freeze) await Promise.all(fault.freeze.nodes.map((n) => c.pause(n)));
        await Promise.all(fault.nodes.map((n) => c.kill(n)));
        return;
      case "pause":
        await Promise.all(fault.nodes.map((n) => c.pause(n)));
        return;
      case "clock":
        await Promise.all(fault.nodes.map((n) => c.setClockOffset(n, fault.offsetSeconds)));
        return;
      case "loss":
        await Promise.all(fault.nodes.map((n) => c.loss(n, fault.probability)));
        return;
    }
  }

  /** Undo a fault; returns what the record of the heal should show, if anything. */
  private async heal(fault: PlannedFault): Promise<unknown> {
    const c = this.cluster;
    switch (fault.kind) {
      case "partition":
        if (fault.handoverMs && !this.healingAll) {
          // The isolated node comes back to followers whose leader is cut off: it campaigns
          // with its pumped term and stale log, the case an election without the log check
          // gets wrong. Then the old leader, stale itself by now, comes back too.
          const leader = await this.target.leader?.(c).catch(() => undefined);
          const names = c.nodes.map((n) => n.name);
          if (leader && leader !== fault.leaderFallback) {
            await c.partition(isolate(names, leader));
            await sleep(fault.handoverMs);
            await c.healNetwork();
            return { isolatedLeaderFirst: leader };
          }
        }
        return c.healNetwork();
      case "loss":
        return c.healNetwork();
      case "kill":
        if (!fault.freeze) {
          await Promise.all(fault.nodes.map((n) => c.start(n)));
          return;
        }
        try {
          await Promise.all(fault.nodes.map((n) => c.start(n)));
          // Healing everything at the end (or on interruption): no time for the stagger.
          if (!this.healingAll) await sleep(fault.freeze.resumeAfterMs);
        } finally {
          // Never leave the survivors frozen, whatever happened to the restart.
          await Promise.all(fault.freeze.nodes.map((n) => c.resume(n)));
        }
        return;
      case "pause":
        await Promise.all(fault.nodes.map((n) => c.resume(n)));
        return;
      case "clock":
        await Promise.all(fault.nodes.map((n) => c.setClockOffset(n, 0)));
        return;
    }
  }

  private record(
    type: "invoke" | "info",
    f: string,
    nodes: string[],
    detail?: unknown,
    error?: string,
  ): void {
    this.recorder.append({
      time: this.clock.nowNs(),
      process: "nemesis",
      type,
      f,
      value: nodes,
      ...(detail !== undefined ? { detail } : {}),
      ...(error !== undefined ? { error } : {}),
    });
  }
}

function detailOf(fault: PlannedFault): unknown {
  switch (fault.kind) {
    case "partition":
      return { shape: fault.shape, grudge: fault.grudge };
    case "clock":
      return { who: fault.who, offsetSeconds: fault.offsetSeconds };
    case "loss":
      return { who: fault.who, probability: fault.probability };
    case "kill":
      return fault.freeze ? { who: fault.who, frozen: fault.freeze.nodes } : { who: fault.who };
    default:
      return { who: fault.who };
  }
}

/** A short human label: "partition ring", "kill n1,n3", "clock +30s n2". */
export function describe(fault: PlannedFault): string {
  switch (fault.kind) {
    case "partition":
      return fault.shape === "isolate-leader" || fault.shape === "isolate-one"
        ? `partition ${fault.shape} ${fault.leaderFallback ?? ""}`.trim()
        : `partition ${fault.shape}`;
    case "clock":
      return `clock ${fault.offsetSeconds > 0 ? "+" : ""}${fault.offsetSeconds}s ${fault.nodes.join(",")}`;
    case "loss":
      return `loss ${Math.round(fault.probability * 100)}% ${fault.nodes.join(",")}`;
    case "kill":
      return `kill ${fault.nodes.join(",")}${fault.freeze ? ` (frozen ${fault.freeze.nodes.join(",")})` : ""}`;
    default:
      return `${fault.kind} ${fault.nodes.join(",")}`;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
