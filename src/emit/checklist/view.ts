import type { Plan } from '../../normalize/model.js';
import { phaseHasSql, scriptFileName } from '../sql/blocks.js';

/** Queries the on-call engineer keeps open while a phase runs. */
export const watchQueries = {
  locks: "SELECT a.pid, l.mode, l.relation::regclass, now() - a.query_start AS waiting, left(a.query, 60) AS query FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted;",
  slow: "SELECT pid, state, wait_event_type, now() - query_start AS running, left(query, 60) AS query FROM pg_stat_activity WHERE state <> 'idle' AND now() - query_start > interval '5 seconds' ORDER BY running DESC;",
  disk: 'SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;',
  replication: 'SELECT client_addr, state, replay_lag FROM pg_stat_replication;',
};

export function checklistView(plan: Plan) {
  const steps = new Map(plan.phases.flatMap((p) => p.steps).map((s) => [s.id, s]));
  return {
    plan,
    watch: watchQueries,
    hasDataLoss: plan.phases.some((p) => p.steps.some((s) => s.rollback?.dataLoss)),
    phases: plan.phases.map((phase) => ({
      ...phase,
      upScript: phaseHasSql(phase) ? scriptFileName(phase, 'up') : undefined,
      downScript: phaseHasSql(phase) ? scriptFileName(phase, 'down') : undefined,
      gateSteps: (phase.gate?.verified ?? []).map((v) => v.stepId).filter((id) => steps.has(id)),
      gateWait: phase.gate?.wait?.text,
      codeChanges: plan.codeChanges.filter((c) => c.deployPhase === phase.name),
      operatorSteps: phase.steps.filter((s) => s.action && s.action.kind !== 'sql').map((s) => ({
        id: s.id,
        command: s.action?.kind === 'run' ? s.action.command : undefined,
        instructions: s.action?.kind === 'manual' ? s.action.instructions : undefined,
      })),
      verifications: phase.steps.flatMap((s) => s.verify.map((v) => ({ step: s.id, sql: v.sql, expect: v.expect.text }))),
      rollback: plan.rollbackPlan.filter((r) => r.phase === phase.name),
    })),
  };
}
