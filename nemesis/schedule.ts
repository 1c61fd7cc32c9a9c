// The fault schedule: a seeded, fully planned list of "start this fault at t" / "stop it at t"
// events on the run's clock. Planning ahead (rather than deciding live) is what makes the
// same seed give the same schedule, and lets tests compare schedules without Docker. Which
// victims each fault picks is its own file's business (nemesis/faults/).
import { Rng } from "../core/rng.ts";
import { UserError } from "../core/errors.ts";
import { FAULT_KINDS, faultOf, type FaultKind, type PlannedFault } from "./faults/index.ts";
import { pickTraitors } from "./faults/byzantine.ts";

export { FAULT_KINDS, type FaultKind, type PlannedFault } from "./faults/index.ts";
export type { Who } from "./who.ts";

export interface NemesisEvent {
  /** Milliseconds after the run's clock started. */
  atMs: number;
  action: "start" | "stop";
  /** Pairs a stop with its start. */
  faultId: number;
  fault: PlannedFault;
  /** A replayed fault (nemesis/recorded.ts): `fault` is what a run applied, victims included,
   *  so it is applied as it is, not re-aimed at the leader of the moment. */
  pinned?: boolean;
}

export interface ScheduleOptions {
  seed: number;
  kinds: readonly FaultKind[];
  nodes: readonly string[];
  /** Seconds between one fault's start and its stop, and between a stop and the next start. */
  intervalSeconds: number;
  timeLimitSeconds: number;
  /** Traitors of each `byzantine` fault (resolved from --byzantine or the target). */
  traitors?: number;
}

/** Parse `--nemesis partition,kill` (or `none`) into fault kinds. */
export function parseFaultKinds(spec: string): FaultKind[] {
  const names = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== "none");
  for (const name of names) {
    if (!(FAULT_KINDS as readonly string[]).includes(name))
      throw new UserError(
        `Unknown nemesis fault "${name}"; use a comma-separated list of ${FAULT_KINDS.join(", ")} (or none).`,
      );
  }
  return [...new Set(names)] as FaultKind[];
}

/** Plan every fault of a run: quiet for one interval, fault for one interval, and so on, with
 *  the kinds taken in turn. Every fault started is stopped before the time limit. */
export function planSchedule(opts: ScheduleOptions): NemesisEvent[] {
  const rng = Rng.forStream(opts.seed, "nemesis");
  const events: NemesisEvent[] = [];
  if (opts.kinds.length === 0) return events;
  const intervalMs = opts.intervalSeconds * 1000;
  const endMs = opts.timeLimitSeconds * 1000;
  const turns = new Map<FaultKind, number>();
  const traitorNodes =
    opts.traitors !== undefined ? pickTraitors(opts.seed, opts.nodes, opts.traitors) : undefined;
  let t = 0;
  for (let id = 0; ; id++) {
    // ±20% seeded jitter keeps faults from lining up with periodic protocol timers.
    const quiet = intervalMs * (0.8 + 0.4 * rng.float());
    const hold = intervalMs * (0.8 + 0.4 * rng.float());
    const start = t + quiet;
    const stop = start + hold;
    const kind = opts.kinds[id % opts.kinds.length]!;
    const turn = turns.get(kind) ?? 0;
    const fault = faultOf(kind).plan({
      nodes: opts.nodes,
      rng,
      turn,
      intervalMs,
      ...(traitorNodes ? { traitorNodes } : {}),
    });
    // A staggered kill ends only when its frozen survivors resume (a handover when the leader
    // is let back in). The quiet time before the next fault counts from then: a fault right on
    // top of the resume (isolating the survivor that just won the election, say) would stop it
    // overwriting the restarted nodes' entries, which is how lost term/vote state shows.
    const settled = stop + settleMs(fault);
    if (settled > endMs) break;
    turns.set(kind, turn + 1);
    events.push({ atMs: Math.round(start), action: "start", faultId: id, fault });
    events.push({ atMs: Math.round(stop), action: "stop", faultId: id, fault });
    t = settled;
  }
  return events;
}

/** How long healing a fault takes after its stop event (staggered resume, handover). */
export function settleMs(fault: PlannedFault): number {
  return faultOf(fault.kind).settleMs?.(fault) ?? 0;
}
