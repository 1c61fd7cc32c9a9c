// The chain's configuration: which nodes form the chain, in order, and its epoch. It lives in
// the lin-kv service under one key and changes only by compare-and-set, one epoch at a time
// [C5]. Every member is named with the epoch it joined in (`since`), so that a node which was
// removed and has joined again (with its state discarded) is not mistaken for its old self.

export const CONFIG_KEY = "chain-config";

export interface Member {
  id: string;
  /** The epoch of the configuration that added this incarnation of the node. */
  since: number;
}

export interface ChainConfig {
  epoch: number;
  /** Head first, tail last. */
  chain: Member[];
}

/** The first configuration: every node, in the order of the cluster's node ids. */
export function initialConfig(nodeIds: string[]): ChainConfig {
  return { epoch: 1, chain: nodeIds.map((id) => ({ id, since: 1 })) };
}

export function isConfig(v: unknown): v is ChainConfig {
  if (typeof v !== "object" || v === null) return false;
  const c = v as ChainConfig;
  return (
    typeof c.epoch === "number" &&
    Array.isArray(c.chain) &&
    c.chain.every((m) => typeof m?.id === "string" && typeof m?.since === "number")
  );
}

export function ids(config: ChainConfig): string[] {
  return config.chain.map((m) => m.id);
}

export function head(config: ChainConfig): string | undefined {
  return config.chain[0]?.id;
}

export function tail(config: ChainConfig): string | undefined {
  return config.chain.at(-1)?.id;
}

/** The epoch `id` joined in, if it is in the chain. */
export function memberSince(config: ChainConfig, id: string): number | undefined {
  return config.chain.find((m) => m.id === id)?.since;
}

export function predecessor(config: ChainConfig, id: string): string | undefined {
  const i = ids(config).indexOf(id);
  return i > 0 ? config.chain[i - 1]!.id : undefined;
}

export function successor(config: ChainConfig, id: string): string | undefined {
  const i = ids(config).indexOf(id);
  return i >= 0 && i < config.chain.length - 1 ? config.chain[i + 1]!.id : undefined;
}

/** The next configuration without `id`; the others keep their order [C5]. */
export function without(config: ChainConfig, id: string): ChainConfig {
  return { epoch: config.epoch + 1, chain: config.chain.filter((m) => m.id !== id) };
}

/** The next configuration with `id` joining as the new tail [C8]. */
export function withTail(config: ChainConfig, id: string): ChainConfig {
  const epoch = config.epoch + 1;
  return { epoch, chain: [...config.chain, { id, since: epoch }] };
}

export function describe(config: ChainConfig): string {
  return `epoch ${config.epoch} [${ids(config).join(" -> ")}]`;
}
