// Maelstrom's built-in services, which node programs address by these ids like nodes.

export const SERVICE_NAMES = ["lin-kv", "seq-kv", "lww-kv"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(x: unknown): x is ServiceName {
  return typeof x === "string" && (SERVICE_NAMES as readonly string[]).includes(x);
}
