// A run's fault schedule as it was carried out: the planned schedule (test.json's `schedule`)
// joined with the history's nemesis ops, which record each fault as applied (the start's
// invoke carries `faultId` and `fault`, victims chosen at run time included). Replaying a run
// applies these faults again at the same times on the same nodes; shrinking drops some of
// them. Pure: no Docker, no clock.
import { UserError } from "../core/errors.ts";
import type { Op } from "../histories/op.ts";
import { FAULT_KINDS, faultOf, type PlannedFault } from "./faults/index.ts";
import type { NemesisEvent } from "./schedule.ts";

/** One fault of a run, as recorded. */
export interface RecordedFault {
  /** Its id in the schedule. */
  faultId: number;
  kind: string;
  /** When it started and stopped, ms on the run's clock (the planned times). */
  startMs: number;
  stopMs: number;
  /** The nodes it hit (the `value` of its start op), or those planned if it never started. */
  nodes: string[];
  /** The `detail` of its start op (shape, grudge, offset, ...), or the planned one's. */
  detail?: unknown;
  /** The fault as applied: the nemesis applies it again as it is (pinned). */
  fault: PlannedFault;
  /** Whether the history recorded it as applied. A fault the run never reached (it stopped
   *  on a violation first), or one of a run recorded before faults were recorded in full,
   *  has only its plan, and is re-aimed at run time when replayed. */
  recorded: boolean;
}

/** The faults of a run: every planned fault, with what the history recorded of it. */
export function recordedSchedule(
  planned: readonly NemesisEvent[],
  history: readonly Op[],
): RecordedFault[] {
  const applied = new Map<number, Op>();
  for (const op of history) {
    if (op.process !== "nemesis" || op.type !== "invoke") continue;
    if (typeof op.faultId !== "number" || !isPlanned(op.fault)) continue;
    if (!applied.has(op.faultId)) applied.set(op.faultId, op);
  }
  const faults = new Map<number, RecordedFault>();
  for (const event of planned) {
    if (!FAULT_KINDS.includes(event.fault.kind))
      throw new UserError(
        `The run used the fault kind "${event.fault.kind}", which this Faultline does not have (it has ${FAULT_KINDS.join(", ")}).`,
      );
    const known = faults.get(event.faultId);
    if (known) {
      if (event.action === "stop") known.stopMs = event.atMs;
      continue;
    }
    const op = applied.get(event.faultId);
    const fault = op ? (op.fault as PlannedFault) : event.fault;
    const kind = faultOf(fault.kind);
    faults.set(event.faultId, {
      faultId: event.faultId,
      kind: fault.kind,
      startMs: event.atMs,
      stopMs: event.atMs,
      nodes: op ? nodesOf(op.value) : kind.nodes(fault),
      ...(op
        ? op.detail !== undefined
          ? { detail: op.detail }
          : {}
        : { detail: kind.detail(fault) }),
      fault,
      recorded: op !== undefined,
    });
  }
  return [...faults.values()].sort((a, b) => a.startMs - b.startMs);
}

/** The schedule that applies `faults` again: each recorded fault pinned to what it hit, each
 *  fault known only from its plan re-aimed as a run would. Ids are kept, so a replay's
 *  history pairs its faults with the original's. */
export function replayEvents(faults: readonly RecordedFault[]): NemesisEvent[] {
  const events: NemesisEvent[] = [];
  for (const f of faults) {
    const pinned = f.recorded ? { pinned: true } : {};
    events.push({
      atMs: f.startMs,
      action: "start",
      faultId: f.faultId,
      fault: f.fault,
      ...pinned,
    });
    events.push({ atMs: f.stopMs, action: "stop", faultId: f.faultId, fault: f.fault, ...pinned });
  }
  // Stable: a stop and the next start at the same ms keep their order.
  return events.sort((a, b) => a.atMs - b.atMs);
}

/** How long a fault's heal goes on after its stop event (a staggered restart, a handover). */
export function settleOf(fault: RecordedFault): number {
  return faultOf(fault.kind).settleMs?.(fault.fault) ?? 0;
}

/** One line per fault: "12.3-17.0 s  kill n1,n2 (frozen n3)  [recorded]". */
export function describeSchedule(faults: readonly RecordedFault[]): string[] {
  return faults.map((f) => {
    const label = faultOf(f.kind).describe(f.fault);
    const when = `${(f.startMs / 1000).toFixed(1)}-${(f.stopMs / 1000).toFixed(1)} s`;
    return `${when}  ${label}${f.recorded ? "" : "  (planned; re-aimed at run time)"}`;
  });
}

function isPlanned(v: unknown): v is PlannedFault {
  return typeof v === "object" && v !== null && typeof (v as { kind?: unknown }).kind === "string";
}

function nodesOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}
