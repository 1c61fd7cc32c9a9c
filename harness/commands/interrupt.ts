// Ctrl-C for the commands that make runs (run, replay, shrink): the first SIGINT/SIGTERM
// stops the current run (healed, torn down, stored as incomplete) and the command ends; a
// second quits at once, saying what is left behind.
import { EXIT } from "../../core/errors.ts";
import type { RunStatus } from "../run/orchestrate.ts";
import { exitWhenFlushed } from "../exit.ts";

export interface Interruptible {
  signal: AbortSignal;
  /** Set to a fresh status before each run; a second signal reports on it. */
  status: RunStatus;
}

export async function withInterrupt<T>(fn: (i: Interruptible) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  const state: Interruptible = { signal: interrupt.signal, status: { clusterLive: false } };
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      console.error(`faultline: ${sig} again: quitting at once. ${leftBehind(state.status)}`);
      void exitWhenFlushed(EXIT.interrupted);
      return;
    }
    console.error(
      `\nfaultline: ${sig}: stopping the run, healing faults and tearing down (again to quit at once)...`,
    );
    interrupt.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await fn(state);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** What quitting now leaves behind, and the commands that deal with it. */
export function leftBehind(status: RunStatus): string {
  const cluster =
    status.clusterId && status.clusterLive
      ? `Cluster ${status.clusterId} may still be running (its containers, network and fault rules): \`faultline clean --id ${status.clusterId}\` removes it.`
      : "No cluster is left running.";
  const dir = status.dir
    ? ` The partial history is in ${status.dir} (\`faultline check ${status.dir}\`).`
    : "";
  return cluster + dir;
}
