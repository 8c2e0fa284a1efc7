import type { Rule } from '../rule.js';
import { batchKey } from './batch-key.js';
import { contractGate } from './contract-gate.js';
import { dataLossNeedsBackup } from './data-loss-needs-backup.js';
import { destructiveOutsideContract } from './destructive-outside-contract.js';
import { gateReferences } from './gate-references.js';
import { phaseOrder } from './phase-order.js';
import { phaseReferences } from './phase-references.js';
import { planVerificationPhase } from './plan-verification-phase.js';
import { riskUnderstated } from './risk-understated.js';
import { rollbackLeavesChange } from './rollback-leaves-change.js';
import { rollbackRestoresNothing } from './rollback-restores-nothing.js';
import { rollbackCoverage } from './rollback-coverage.js';
import { sizeHintUnused } from './size-hint-unused.js';
import { statementTimeoutExceeded } from './statement-timeout-exceeded.js';
import { statementTimeoutOff } from './statement-timeout-off.js';
import { timelineOrder } from './timeline-order.js';
import { uniqueIds } from './unique-ids.js';
import { verificationCoverage } from './verification-coverage.js';

/** Every plan rule, sorted by code. */
export const planRules: readonly Rule[] = [
  phaseOrder,
  destructiveOutsideContract,
  contractGate,
  rollbackCoverage,
  dataLossNeedsBackup,
  verificationCoverage,
  gateReferences,
  phaseReferences,
  uniqueIds,
  timelineOrder,
  riskUnderstated,
  planVerificationPhase,
  rollbackRestoresNothing,
  statementTimeoutExceeded,
  statementTimeoutOff,
  batchKey,
  rollbackLeavesChange,
  sizeHintUnused,
];
