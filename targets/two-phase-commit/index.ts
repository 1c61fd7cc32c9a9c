// The two-phase-commit target: two-phase commit with cooperative termination (NEED_DECISION),
// written in Python (main.py and the modules beside it), run under the node host. n1 is the
// coordinator, the other nodes participants; it serves the atomic-commit workload
// (docs/atomic-commit.md, "The two-phase-commit target").
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.ts";
import type { NodeFile } from "../../core/runtime.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  hostClusterSpec,
  hostSentMessages,
  setHostRules,
  openHostClient,
} from "../host/kit.ts";
import { PROGRAM_DIR } from "../host/ports.ts";
import type { Target, TargetOptions } from "../types.ts";

/** The program's files, shipped side by side (main.py imports the others). */
export const TWO_PHASE_COMMIT_FILES = [
  "main.py",
  "runtime.py",
  "role.py",
  "coordinator.py",
  "participant.py",
];

export const TWO_PHASE_COMMIT_VARIANTS: Record<string, string> = {
  "abort-on-timeout":
    "a participant in READY that hears no decision within its timeout aborts on its own instead of asking the others",
  "no-decision-log":
    "the coordinator sends its decision without logging it; restarted, it finds WAIT and aborts what it may have committed",
  "vote-not-logged":
    "a participant votes commit without logging READY; restarted, it thinks it never voted, aborts, and answers NEED_DECISION with ABORT",
};

const DIR = `${PROGRAM_DIR}/two-phase-commit`;

function programFiles(): NodeFile[] {
  return TWO_PHASE_COMMIT_FILES.map((name) => ({
    path: `${DIR}/${name}`,
    content: readFileSync(new URL(`./${name}`, import.meta.url)),
    mode: name === "main.py" ? 0o755 : 0o644,
  }));
}

export const twoPhaseCommit: Target = {
  name: "two-phase-commit",
  description:
    "two-phase commit in Python: n1 coordinates, the others participate; decisions logged, cooperative termination (NEED_DECISION)",
  defaultNodes: 4,
  workloads: ["atomic-commit"],
  // Kills hit the coordinator and participants (lost logs, recovery); lost packets delay
  // decisions past a READY participant's timeout; pausing the coordinator leaves participants
  // READY (blocking); partitions cut votes and decisions. A 30 s run holds the first two.
  defaultNemesis: ["kill", "loss", "pause", "partition"],
  variants: { ...TWO_PHASE_COMMIT_VARIANTS },
  async clusterSpec(opts: TargetOptions) {
    const variant = opts.variant;
    if (variant !== undefined && variant !== "correct" && !(variant in TWO_PHASE_COMMIT_VARIANTS)) {
      throw new UserError(
        `two-phase-commit has no variant ${variant}; known: ${Object.keys(TWO_PHASE_COMMIT_VARIANTS).join(", ")}`,
      );
    }
    if (opts.nodes < 2) {
      throw new UserError(
        `two-phase-commit needs a coordinator and at least one participant: --nodes 2 or more, not ${opts.nodes}`,
      );
    }
    const args = variant && variant !== "correct" ? ["--variant", variant] : [];
    return hostClusterSpec(programFiles(), ["python3", "-u", `${DIR}/main.py`, ...args]);
  },
  awaitReady: awaitHostsReady,
  client: openHostClient,
  sentMessages: hostSentMessages,
  messageRules: setHostRules,
  /** The coordinator, always: faults aimed at "the leader" hit it. */
  fixedLeader: true,
  async leader(cluster) {
    return cluster.nodes[0]?.name;
  },
  logPaths: HOST_LOG_PATHS,
};
