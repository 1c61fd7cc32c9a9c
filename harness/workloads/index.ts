// Every workload by name (docs/running.md lists them with their checkers). To add one: a file
// beside this one exporting a Workload factory, and one entry below.
import { UserError } from "../../core/errors.ts";
import { agreementWorkload } from "./agreement.ts";
import { atomicCommitWorkload } from "./atomic-commit.ts";
import { broadcastWorkload } from "./broadcast.ts";
import { counterWorkload } from "./counter.ts";
import { echoWorkload } from "./echo.ts";
import { gSetWorkload } from "./g-set.ts";
import { kafkaWorkload } from "./kafka.ts";
import { linKvWorkload } from "./lin-kv.ts";
import { transferWorkload } from "./transfer.ts";
import { uniqueIdsWorkload } from "./unique-ids.ts";
import type { Workload, WorkloadContext, WorkloadEntry } from "./types.ts";

export type { Workload, WorkloadContext, WorkloadEntry } from "./types.ts";

export const workloads: Record<string, WorkloadEntry> = {
  "lin-kv": {
    description:
      "read/write/cas of unique values on 3 keys (fresh keys every 2 minutes); linearizable per key",
    operations: ["read", "write", "cas"],
    keys: 3,
    create: (ctx) =>
      linKvWorkload({
        ...(ctx.keys !== undefined ? { keys: ctx.keys } : {}),
        ...(ctx.executedLog ? { executedLogOf: ctx.nodes } : {}),
      }),
  },
  echo: {
    description: "echo random strings; every ok echo returns exactly what was sent",
    operations: ["echo"],
    create: () => echoWorkload(),
  },
  "unique-ids": {
    description: "generate ids on any node; every ok id is distinct",
    operations: ["generate"],
    create: () => uniqueIdsWorkload(),
  },
  broadcast: {
    description:
      "topology, then broadcasts of unique integers and reads; reliable broadcast (validity, agreement, integrity) and stable latency",
    operations: ["topology", "broadcast", "read"],
    create: (ctx) => broadcastWorkload(ctx),
  },
  "g-set": {
    description:
      "add unique integers to a grow-only set and read it; final reads agree, no ok add lost",
    operations: ["add", "read"],
    create: (ctx) => gSetWorkload(ctx),
  },
  "g-counter": {
    description:
      "add positive deltas and read; final reads equal and within the sums the adds allow",
    operations: ["add", "read"],
    create: (ctx) => counterWorkload("g-counter", ctx),
  },
  "pn-counter": {
    description:
      "add deltas of either sign and read; final reads equal and within the sums the adds allow",
    operations: ["add", "read"],
    create: (ctx) => counterWorkload("pn-counter", ctx),
  },
  kafka: {
    description:
      "send unique messages to a log per key, poll them back, commit and list consumer offsets; one message per offset, no lost acknowledged send",
    operations: ["send", "poll", "commit_offsets", "list_committed_offsets"],
    keys: 3,
    create: (ctx) => kafkaWorkload(ctx),
  },
  "atomic-commit": {
    description:
      "transactions over seeded participants, sent to the coordinator (the first node), and state queries of every node; atomic commit, with blocking measured",
    operations: ["txn", "states"],
    create: (ctx) => atomicCommitWorkload(ctx),
  },
  transfer: {
    description:
      "bank transfers between participants' accounts through the coordinator (the first node), and balances of each participant; money conserved, no overdraft, each transfer all or nothing",
    operations: ["transfer", "balances", "recovery"],
    create: (ctx) => transferWorkload(ctx),
  },
  agreement: {
    description:
      "instances of Byzantine agreement: a T/F value to a rotating primary, then every node asked what it stored; BA1, BA2, termination, stable",
    operations: ["propose", "read_decision"],
    create: (ctx) => agreementWorkload(ctx),
  },
};

/** Old names that still work (a stored run's test.json may use them). */
export const WORKLOAD_ALIASES: Record<string, string> = { register: "lin-kv" };

/** The canonical name of a workload, or a UserError naming the known ones. */
export function workloadName(name: string): string {
  const canonical = WORKLOAD_ALIASES[name] ?? name;
  if (!workloads[canonical])
    throw new UserError(
      `Unknown workload "${name}"; known workloads: ${Object.keys(workloads).join(", ")}.`,
    );
  return canonical;
}

export function getWorkload(name: string, ctx: WorkloadContext): Workload {
  return workloads[workloadName(name)]!.create(ctx);
}
