// A real database under two-phase commit: n2..nN each run a PostgreSQL server (Debian's
// postgresql package, data on the node's disk) holding that node's accounts; n1 runs our
// coordinator (Python, psycopg2), which runs each transfer as BEGIN/UPDATE/PREPARE TRANSACTION
// on the participants involved, logs its commit decision durably, then COMMIT PREPARED, and
// after a restart resolves what pg_prepared_xacts still holds. See docs/atomic-commit.md,
// "postgres-2pc and the transfer workload".
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.ts";
import { HOST_LOG_PATHS, awaitHostsReady, hostClusterSpec, openHostClient } from "../host/kit.ts";
import { PROGRAM_DIR, STATE_DIR } from "../host/ports.ts";
import type { Target } from "../types.ts";

const DIR = `${PROGRAM_DIR}/postgres-2pc`;
const SOURCES = ["node.py", "coordinator.py", "participant.py", "pg.py"];
/** Debian bookworm packages the nodes run beyond the node image (built once, cached). */
export const POSTGRES_PACKAGES = ["postgresql", "python3-psycopg2"];
/** Accounts per participant and their opening balance: the transfer workload's defaults. */
export const ACCOUNTS_PER_NODE = 5;
export const INITIAL_BALANCE = 100;

export const postgres2pcVariants: Record<string, string> = {
  "commit-before-log":
    "sends COMMIT PREPARED to the participants before its decision is durable (logs it only once all answered); a coordinator killed in between forgets it and its recovery rolls the rest back",
};

export const postgres2pc: Target = {
  name: "postgres-2pc",
  description:
    "PostgreSQL on n2..nN under two-phase commit (PREPARE TRANSACTION) driven by a Python coordinator on n1; bank transfers",
  defaultNodes: 5,
  // A transfer takes the vote phase (at most 2 s, connects included), one fsync of the
  // decision log and a COMMIT PREPARED per participant (1 s each at most); on a busy machine
  // the votes alone took 1.4 s (median, load 12-37). Under the run's default 1 s most
  // transfers ended info though they committed or aborted, and the atomicity search gave up
  // on 300-400 of them; some final reads missed too.
  defaultTimeoutMs: 5000,
  workloads: ["transfer"],
  // Crashes only: the coordinator's crash between its decision and the participants hearing
  // it is what atomic commit must survive. Three of the kill rotation's six shapes always hit
  // n1 (leader-majority, leader: a crash loop of n1, all), the other three by chance.
  // Partitions mostly make transfers abort; with them in turn a 60 s run had three kills.
  defaultNemesis: ["kill"],
  variants: postgres2pcVariants,
  async clusterSpec(opts) {
    if (opts.nodes < 2)
      throw new UserError(
        `postgres-2pc needs a coordinator and at least one participant: --nodes 2 or more, not ${opts.nodes}`,
      );
    const variant = opts.variant === "correct" ? undefined : opts.variant;
    if (variant !== undefined && !(variant in postgres2pcVariants))
      throw new UserError(
        `postgres-2pc has no variant ${variant}; its variants: ${Object.keys(postgres2pcVariants).join(", ")}`,
      );
    const files = SOURCES.map((name) => ({
      path: `${DIR}/${name}`,
      content: readFileSync(new URL(`./${name}`, import.meta.url)),
      mode: name === "node.py" ? 0o755 : 0o644,
    }));
    const args = ["--accounts", String(ACCOUNTS_PER_NODE), "--initial", String(INITIAL_BALANCE)];
    if (variant) args.push("--variant", variant);
    const spec = await hostClusterSpec(files, ["python3", "-u", `${DIR}/node.py`, ...args]);
    return { ...spec, env: { PYTHONUNBUFFERED: "1" }, imagePackages: POSTGRES_PACKAGES };
  },
  awaitReady: awaitHostsReady,
  client: openHostClient,
  // The coordinator: faults aimed at "the leader" hit it (docs/atomic-commit.md, Roles).
  fixedLeader: true,
  async leader(cluster) {
    return cluster.nodes[0]?.name;
  },
  logPaths: [
    ...HOST_LOG_PATHS,
    "/var/log/faultline/postgres.log",
    `${STATE_DIR}/data/decisions.log`,
    `${STATE_DIR}/data/recoveries.jsonl`,
  ],
};
