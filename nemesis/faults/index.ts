// Every fault kind the nemesis can run, by name. To add one: a file beside this one exporting
// a Fault (nemesis/fault.ts), its planned type in PlannedFault, and one entry in FAULTS.
import type { Fault } from "../fault.ts";
import { byzantine, type PlannedByzantine } from "./byzantine.ts";
import { clock, type PlannedClock } from "./clock.ts";
import { delay, type PlannedDelay } from "./delay.ts";
import { duplicate, type PlannedDuplicate } from "./duplicate.ts";
import { kill, type PlannedKill } from "./kill.ts";
import { loss, type PlannedLoss } from "./loss.ts";
import { receiveOmission, sendOmission, type PlannedOmission } from "./omission.ts";
import { partition, type PlannedPartition } from "./partition.ts";
import { pause, type PlannedPause } from "./pause.ts";
import { reorder, type PlannedReorder } from "./reorder.ts";

/** Any planned fault; narrow on `kind`. */
export type PlannedFault =
  | PlannedPartition
  | PlannedKill
  | PlannedPause
  | PlannedClock
  | PlannedLoss
  | PlannedOmission<"send-omission">
  | PlannedOmission<"receive-omission">
  | PlannedDelay
  | PlannedDuplicate
  | PlannedReorder
  | PlannedByzantine;

export type FaultKind = PlannedFault["kind"];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const FAULTS: Record<FaultKind, Fault<any>> = {
  partition,
  kill,
  pause,
  clock,
  loss,
  "send-omission": sendOmission,
  "receive-omission": receiveOmission,
  delay,
  duplicate,
  reorder,
  byzantine,
};

export const FAULT_KINDS = Object.keys(FAULTS) as FaultKind[];

export function faultOf(kind: string): Fault<PlannedFault> {
  const fault = (FAULTS as Record<string, Fault<PlannedFault>>)[kind];
  if (!fault) throw new Error(`no fault kind ${kind} in the registry`);
  return fault;
}
