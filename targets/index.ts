// Every target Faultline knows, by name (docs/targets.md explains how to add one).
import { UserError } from "../core/errors.ts";
import { byzantineAgreement } from "./byzantine-agreement/index.ts";
import { paxos } from "./paxos/index.ts";
import { pbft } from "./pbft/index.ts";
import { etcd } from "./etcd/index.ts";
import { chain } from "./chain/index.ts";
import { postgres2pc } from "./postgres-2pc/index.ts";
import { primaryBackup } from "./primary-backup/index.ts";
import { pythonRegister } from "./python-register/index.ts";
import { raft } from "./raft/index.ts";
import { twoPhaseCommit } from "./two-phase-commit/index.ts";
import type { Target } from "./types.ts";

export const targets: Record<string, Target> = {
  [raft.name]: raft,
  [pythonRegister.name]: pythonRegister,
  [postgres2pc.name]: postgres2pc,
  [twoPhaseCommit.name]: twoPhaseCommit,
  [paxos.name]: paxos,
  [etcd.name]: etcd,
  [primaryBackup.name]: primaryBackup,
  [chain.name]: chain,
  [byzantineAgreement.name]: byzantineAgreement,
  [pbft.name]: pbft,
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
