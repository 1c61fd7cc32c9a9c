// etcd's weak settings, chosen with `--variant <name>`. etcd itself is never patched: a
// variant is a documented option that a real deployment may turn on, and that gives up
// linearizability.

export const ETCD_VARIANTS = {
  "serializable-reads":
    "reads use etcd's documented serializable mode (range with serializable: true): the member a client talks to answers from its own state without asking the leader, so a partitioned, paused or restarted member serves stale values",
} as const;

export type EtcdVariant = keyof typeof ETCD_VARIANTS | "correct";

export function isEtcdVariant(name: string | undefined): name is EtcdVariant | undefined {
  return name === undefined || name === "correct" || name in ETCD_VARIANTS;
}
