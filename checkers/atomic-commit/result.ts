// The result of the atomic-commit checker, as results.json holds it and explain.ts reads it.
import type { CheckResult } from "../types.ts";
import type { Blocking } from "./blocking.ts";
import type { Reversal } from "./observe.ts";
import type { Malformed } from "./parse.ts";
import type {
  Disagreement,
  InvalidCommit,
  TrivialAbort,
  Undecided,
  UnvotedCommit,
} from "./properties.ts";

export interface AtomicCommitResult extends CheckResult {
  coordinator: string;
  /** Client transactions by outcome: ok, fail (abort), info or never completed (unknown). */
  transactions: { total: number; committed: number; aborted: number; unknown: number };
  /** Ok states reports, the final-phase ones, and the nodes that answered. */
  reports: { total: number; final: number; nodes: string[] };
  /** Ops that do not have the contract's shape (counted; the first few named). */
  malformed: { count: number; ops: Malformed[] };
  /** Txn ids used by more than one txn op. */
  duplicateIds: string[];
  /** Fault windows found in the nemesis ops. */
  faults: number;
  agreement: { valid: boolean; violations: number; txns: Disagreement[] };
  noReversal: { valid: boolean; violations: number; reversals: Reversal[] };
  commitValidity: { valid: boolean; violations: number; txns: InvalidCommit[] };
  /** Participants that reported COMMIT with no READY before it. */
  commitFromReady: { valid: boolean; violations: number; commits: UnvotedCommit[] };
  nonTriviality: {
    valid: boolean;
    /** Aborts judged: all votes true, a definite outcome, no fault overlapping. */
    judged: number;
    excludedByFaults: number;
    /** Aborts where a participant reached READY only after the coordinator's ABORT (judged so
     *  only for a coordinator that does not say why it aborted). */
    excludedAsLateVotes: number;
    /** Aborts the coordinator made at its vote timeout (its `aborts` says so, and its WAIT and
     *  the client's wait lasted the timeout): a vote arrived late, a timing failure. */
    excludedAsTimeouts: number;
    /** Aborts on the vote_abort of a participant that never voted commit. */
    excludedAsAbortVotes: number;
    violations: number;
    txns: TrivialAbort[];
  };
  termination: {
    /** "unknown" when no violation was found and some participant has no final report. */
    valid: boolean | "unknown";
    judgedNodes: string[];
    nodesWithoutFinalReport: string[];
    violations: number;
    undecided: Undecided[];
  };
  blocking: Blocking;
}
