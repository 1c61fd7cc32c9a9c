// Every target Faultline knows, by name (docs/targets.md explains how to add one).
import { UserError } from "../core/errors.ts";
import { pythonRegister } from "./python-register/index.ts";
import { raft } from "./raft/index.ts";
import type { Target } from "./types.ts";

export const targets: Record<string, Target> = {
  [raft.name]: raft,
  [pythonRegister.name]: pythonRegister,
};

export function getTarget(name: string): Target {
  const target = targets[name];
  if (!target) {
    throw new UserError(
      `unknown target ${name}; known targets: ${Object.keys(targets).join(", ")}`,
    );
  }
  return target;
}
