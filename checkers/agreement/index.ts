// The agreement checker (docs/checkers.md, "agreement"); checker.ts says how its parts fit.
export {
  agreementChecker,
  checkAgreement,
  type AgreementResult,
  type InstanceReport,
} from "./checker.ts";
