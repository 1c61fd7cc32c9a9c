// The library for writing nodes in TypeScript (see docs/node-protocol.md).
export { Node, RpcTimeout, realClock, runStdio, flag, dataDir } from "./node.ts";
export type { Body, Message, Clock, Timer, Handler } from "./node.ts";
export { DiskStorage, MemoryStorage } from "./durable.ts";
export type { Storage } from "./durable.ts";
export { ERRORS, errorKind } from "../host/errors.ts";
