// The atomic-commit checker (docs/atomic-commit.md); checker.ts says how its parts fit.
export { atomicCommitChecker, checkAtomicCommit, type AtomicCommitResult } from "./checker.ts";
