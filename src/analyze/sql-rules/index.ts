import type { StatementRule } from '../sql/context.js';
import { addColumnNotNull } from './add-column-not-null.js';
import { addColumnRewrite } from './add-column-rewrite.js';
import { attachPartitionScan } from './attach-partition-scan.js';
import { backfillWithDdl } from './backfill-with-ddl.js';
import { columnTypeRewrite } from './column-type-rewrite.js';
import { concurrentlyInTransaction } from './concurrently-in-transaction.js';
import { concurrentlyNotIdempotent } from './concurrently-not-idempotent.js';
import { concurrentlyOnPartitioned } from './concurrently-on-partitioned.js';
import { checkValidates, foreignKeyValidates } from './constraint-validates.js';
import { destructive } from './destructive.js';
import { detachPartitionNotConcurrent } from './detach-partition-not-concurrent.js';
import { domainConstraintValidates } from './domain-constraint-validates.js';
import { dropIndexNotConcurrent } from './drop-index-not-concurrent.js';
import { enumAddValueInTransaction } from './enum-add-value-in-transaction.js';
import { foreignKeyWithoutIndex } from './foreign-key-without-index.js';
import { identifierTooLong } from './identifier-too-long.js';
import { indexNotConcurrent } from './index-not-concurrent.js';
import { lockTable } from './lock-table.js';
import { missingLockTimeout } from './missing-lock-timeout.js';
import { outsideDatabase } from './outside-database.js';
import { refreshMatviewNotConcurrent } from './refresh-matview-not-concurrent.js';
import { reindexNotConcurrent } from './reindex-not-concurrent.js';
import { rename } from './rename.js';
import { rewriteCommand } from './rewrite-command.js';
import { setNotNullScan } from './set-not-null-scan.js';
import { setTablespace } from './set-tablespace.js';
import { transactionNesting } from './transaction-nesting.js';
import { stackedAccessExclusive } from './stacked-access-exclusive.js';
import { exclusionConstraint, uniqueBuildsIndex } from './unique-builds-index.js';
import { unbatchedDataChange } from './unbatched-data-change.js';
import { unknownType } from './unknown-type.js';
import { enumValueBeforeCommit } from './enum-value-before-commit.js';
import { dependentsBlockDrop } from './dependents-block-drop.js';
import { explicitIdsBehindSequence } from './explicit-ids-behind-sequence.js';
import { missingColumn } from './missing-column.js';
import { newerThanTarget } from './newer-than-target.js';
import { concurrentBuildOn14 } from './concurrent-build-bug.js';
import { cascadeDropsUsers } from './cascade-drops-users.js';
import { alreadyDropped } from './already-dropped.js';
import { enumValueRemoved } from './enum-value-removed.js';
import { updateFromUnjoined } from './update-from-unjoined.js';
import { constantBackfill } from './constant-backfill.js';
import { uniqueCollision } from './unique-collision.js';
import { foreignKeyNarrower } from './foreign-key-narrower.js';
import { duplicateForeignKey } from './duplicate-foreign-key.js';
import { duplicateIndex } from './duplicate-index.js';
import { functionBodyFails } from './function-body-fails.js';
import { foreignKeyCrossed } from './foreign-key-crossed.js';
import { grantToPublic } from './grant-to-public.js';
import { foreignKeySetNull } from './foreign-key-set-null.js';
import { typeChangeNeedsUsing } from './type-change-needs-using.js';
import { catalogWrite } from './catalog-write.js';

/** Every statement rule (the PostgreSQL hazard catalogue), sorted by code. */
export const statementRules: readonly StatementRule[] = [
  unbatchedDataChange,
  indexNotConcurrent,
  dropIndexNotConcurrent,
  reindexNotConcurrent,
  concurrentlyInTransaction,
  addColumnRewrite,
  addColumnNotNull,
  setNotNullScan,
  foreignKeyValidates,
  checkValidates,
  uniqueBuildsIndex,
  exclusionConstraint,
  columnTypeRewrite,
  rename,
  destructive,
  rewriteCommand,
  stackedAccessExclusive,
  backfillWithDdl,
  missingLockTimeout,
  outsideDatabase,
  concurrentlyNotIdempotent,
  refreshMatviewNotConcurrent,
  lockTable,
  setTablespace,
  detachPartitionNotConcurrent,
  transactionNesting,
  enumAddValueInTransaction,
  identifierTooLong,
  foreignKeyWithoutIndex,
  domainConstraintValidates,
  attachPartitionScan,
  concurrentlyOnPartitioned,
  unknownType,
  enumValueBeforeCommit,
  explicitIdsBehindSequence,
  dependentsBlockDrop,
  missingColumn,
  newerThanTarget,
  concurrentBuildOn14,
  typeChangeNeedsUsing,
  catalogWrite,
  cascadeDropsUsers,
  alreadyDropped,
  enumValueRemoved,
  updateFromUnjoined,
  constantBackfill,
  uniqueCollision,
  foreignKeyNarrower,
  duplicateForeignKey,
  duplicateIndex,
  functionBodyFails,
  foreignKeyCrossed,
  grantToPublic,
  foreignKeySetNull,
];
