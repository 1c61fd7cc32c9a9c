// The agreement checker (docs/byzantine-agreement.md); checker.ts says how its parts fit.
export {
  agreementChecker,
  checkAgreement,
  judgeAgreement,
  type AgreementResult,
  type InstanceReport,
  type InstanceStatus,
} from "./checker.ts";
