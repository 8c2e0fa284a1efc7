import type { RollbackComplexity } from './model.js';

/** The plan exactly as written in YAML, after schema validation (see schema/plan.schema.json). */
export interface RawPlan {
  migc: 1;
  id: string;
  title: string;
  type: 'schema' | 'data' | 'code' | 'infrastructure';
  risk: 'low' | 'medium' | 'high' | 'critical';
  engine?: string;
  owner?: string;
  overview?: { summary?: string; estimated_downtime?: string; rollback_complexity?: RollbackComplexity };
  current_state?: string;
  target_state?: string;
  tables?: Record<string, { rows: number; size?: string }>;
  baseline?: { sql?: string; file?: string };
  fixtures?: { sql?: string; file?: string } & { [table: string]: { rows: number } | string | undefined };
  settings?: { lock_timeout?: string; statement_timeout?: string; lock_retries?: number };
  pre_migration?: {
    backup?: { command: string; verify?: string };
    disk_space?: string;
    notify?: string[];
    staging_test?: string;
    tasks?: string[];
  };
  phases: RawPhase[];
  verify?: { sql: string; expect: number | boolean | string; description?: string; after?: string }[];
  code_changes?: { file: string; change: string; deploy_phase: string }[];
  rollback_plan?: { phase: string; how: string; data_loss: boolean }[];
  timeline?: { at: string; milestone: string; phase?: string }[];
  apps?: { version: string; description?: string; queries: string | string[] }[];
  risks?: { risk: string; likelihood?: 'low' | 'medium' | 'high'; impact?: 'low' | 'medium' | 'high'; mitigation: string }[];
}

export interface RawPhase {
  name: string;
  kind: 'expand' | 'migrate' | 'contract';
  description?: string;
  gate?: { verified?: string[]; deploy?: string | RawDeploy; wait?: string; approval?: string };
  steps: RawStep[];
}

export interface RawStep {
  id: string;
  description?: string;
  sql?: string;
  run?: string;
  manual?: string;
  batch?: RawBatch;
  allow?: Record<string, string>;
  rollback?: { sql?: string; run?: string; manual?: string; nothing_to_undo?: string; irreversible?: true; data_loss?: boolean; restore?: string; batch?: RawBatch };
  verify?: { sql: string; expect: number | boolean | string; description?: string }[];
  estimated_time?: string;
  deploy?: RawDeploy;
}

export interface RawDeploy {
  version: string;
  note?: string;
}

export interface RawBatch {
  size: number;
  key?: string;
  pause?: string;
}
