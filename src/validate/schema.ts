import type { Document } from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { keySpan, spanAt, type LoadedFile, type Path } from '../load/yaml.js';
import planSchema from '../../schema/plan.schema.json' with { type: 'json' };
import { quoteForMessage } from '../diagnostics/quote.js';
import { didYouMean } from '../util/suggest.js';
import { validate, type AjvError } from './generated/plan-validator.js';

type SchemaNode = { [key: string]: unknown };

/** Validates a loaded plan against schema/plan.schema.json; every error points at its YAML node. */
export function validateSchema(loaded: LoadedFile): Diagnostic[] {
  const { file, doc, value } = loaded;
  if (value === null || value === undefined) {
    return [{
      code: 'MG010', severity: 'error', file, span: { start: 0, end: 0 },
      message: 'the plan file is empty',
      help: 'Start with migc: 1, id, title, type, risk, engine and phases (see README: "A plan, step by step").',
    }];
  }
  if (validate(value)) return [];
  return schemaDiagnostics(validate.errors ?? [], { file, doc, value, schema: planSchema as SchemaNode, subject: 'the plan' });
}

/**
 * ajv's errors for a document (a plan, the config) as diagnostics at their YAML nodes, in the
 * order of the file: unknown properties with a "did you mean", enums with their values listed,
 * and each property's own description from the schema as help.
 */
export function schemaDiagnostics(errors: readonly AjvError[], target: { file: string; doc: Document.Parsed; value: unknown; schema: SchemaNode; subject: string }): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of collapseAnyOf(errors)) {
    const d = toDiagnostic(e, target);
    const key = `${d.span?.start}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out.sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
}

/** ajv reports each failed branch of an anyOf as well as the anyOf; keep only the anyOf. */
function collapseAnyOf(errors: readonly AjvError[]): AjvError[] {
  const anyOf = errors.filter((e) => e.keyword === 'anyOf');
  return errors.filter(
    (e) => e.keyword === 'anyOf' || !anyOf.some((a) => a.instancePath === e.instancePath && e.schemaPath.startsWith(`${a.schemaPath}/`)),
  );
}

function parsePointer(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * The schema that applies at an instance path, found by walking the path through the schema
 * (ajv's schemaPath is relative to whichever $ref it inlined, so it cannot be looked up).
 */
function schemaFor(path: Path, root: SchemaNode): SchemaNode | undefined {
  let node = resolveRef(root, root);
  for (const part of path) {
    if (!node) return undefined;
    const next: unknown =
      typeof part === 'number'
        ? node.items
        : (node.properties as Record<string, unknown> | undefined)?.[part] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
    node = resolveRef(next as SchemaNode | undefined, root);
  }
  return node;
}

function resolveRef(node: SchemaNode | undefined, root: SchemaNode): SchemaNode | undefined {
  const ref = node?.$ref;
  if (typeof ref !== 'string') return node;
  const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], root);
  // A $ref with its own description keeps it: it says what the property means here.
  return { ...(target as SchemaNode), ...(typeof node!.description === 'string' ? { description: node!.description } : {}) };
}

/** Describes where in the plan (or config), as the user would write it: phases[1].steps[0].rollback */
export function describePath(path: Path, subject = 'the plan'): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || subject;
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const p of path) v = (v as Record<string | number, unknown> | undefined)?.[p];
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${typeof v === 'string' ? quoteForMessage(v) : JSON.stringify(v)}`;
}

function toDiagnostic(e: AjvError, target: { file: string; doc: Document.Parsed; value: unknown; schema: SchemaNode; subject: string }): Diagnostic {
  const { file, doc, value: root } = target;
  const path = parsePointer(e.instancePath);
  const where = describePath(path, target.subject);
  const own = schemaFor(path, target.schema);
  const describe = typeof own?.description === 'string' ? own.description : undefined;
  const base = { severity: 'error' as const, file };
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(e.params.additionalProperty);
      const allowed = Object.keys((own?.properties as SchemaNode | undefined) ?? {});
      const guess = didYouMean(name, allowed);
      return {
        ...base, code: 'MG011',
        span: keySpan(doc, [...path, name]) ?? spanAt(doc, path),
        message: `unknown property ${quoteForMessage(name)} in ${where}`,
        help: guess ? `Did you mean "${guess}"?` : `Allowed here: ${allowed.join(', ')}.`,
      };
    }
    case 'required': {
      const name = String(e.params.missingProperty);
      const prop = (own?.properties as Record<string, SchemaNode> | undefined)?.[name];
      return {
        ...base, code: 'MG010',
        span: path.length ? keySpan(doc, path) ?? spanAt(doc, path) : { start: 0, end: 0 },
        message: `${where} is missing the required property "${name}"`,
        help: typeof prop?.description === 'string' ? `Add ${name}: ${prop.description}` : `Add ${name}.`,
      };
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const actual = valueAt(root, path);
      const renamed = typeof actual === 'string' && allowed.includes('manual-restore') ? renamedRollbackComplexity[actual] : undefined;
      const guess = typeof actual === 'string' ? didYouMean(actual, allowed) : undefined;
      return {
        ...base, code: 'MG010', span: spanAt(doc, path),
        message: `${where} must be one of ${allowed.join(', ')}; got ${describeValue(actual)}`,
        help: renamed ? `Did you mean ${renamed}? rollback_complexity now says how the way back works, as planners say it.` : guess ? `Did you mean "${guess}"?` : describe,
      };
    }
    case 'const':
      return {
        ...base, code: 'MG010', span: spanAt(doc, path),
        message: `${where} must be ${JSON.stringify(e.params.allowedValue)}; got ${describeValue(valueAt(root, path))}`,
        help: describe,
      };
    case 'type':
      return {
        ...base, code: 'MG010', span: spanAt(doc, path),
        message: `${where} must be ${article(String(e.params.type))}; got ${describeValue(valueAt(root, path))}`,
        help: describe,
      };
    case 'maxLength': {
      const actual = valueAt(root, path);
      return {
        ...base, code: 'MG010', span: spanAt(doc, path),
        message: `${where} is ${typeof actual === 'string' ? [...actual].length : '?'} characters long; at most ${String(e.params.limit)} are allowed`,
        help: describe,
      };
    }
    case 'not':
      return {
        ...base, code: 'MG010', span: spanAt(doc, path),
        message: `${where} cannot be ${JSON.stringify(valueAt(root, path))}`,
        help: describe,
      };
    case 'pattern':
    case 'anyOf': {
      const actual = valueAt(root, path);
      // A name (a plan's id, a phase's name, a step's id) written another way: say it as it must be.
      const shape = e.keyword === 'pattern' && typeof actual === 'string' ? nameShapes[String(e.params.pattern)] : undefined;
      const guess = shape ? nameLike(actual as string, shape.joiners) : undefined;
      return {
        ...base, code: 'MG010', span: spanAt(doc, path),
        message: shape
          ? `${where} must be ${shape.said}; got ${describeValue(actual)}`
          : `${where} has an invalid value ${describeValue(actual)}`,
        help: guess ? `Did you mean "${guess}"? ${describe}` : describe,
      };
    }
    default:
      return { ...base, code: 'MG010', span: spanAt(doc, path), message: `${where} ${e.message ?? 'is invalid'}`, help: describe };
  }
}

/** The schema's patterns for names, what they mean in words, and the characters that join words. */
const nameShapes: Readonly<Record<string, { said: string; joiners: string }>> = {
  '^[a-z0-9]+(-[a-z0-9]+)*$': { said: 'kebab-case (lower-case letters and digits, words joined by -)', joiners: '-' },
  '^[a-z0-9]+([_-][a-z0-9]+)*$': { said: 'lower-case letters and digits, words joined by - or _', joiners: '-_' },
};

/** "Add_Email verified" -> "add-email-verified" (or add_email-verified where _ may join); '' when nothing is left. */
function nameLike(value: string, joiners: string): string {
  const kept = joiners.includes('_') ? /[^a-z0-9_-]+/g : /[^a-z0-9]+/g;
  return value
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(kept, '-')
    .replace(/[-_]{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

/** Earlier plans said low | medium | high; the words planners use say how the way back works. */
const renamedRollbackComplexity: Readonly<Record<string, string>> = {
  low: '"trivial" (the down scripts undo it) or "easy"',
  medium: '"easy" or "hard"',
  high: '"hard" or "manual-restore" (only a backup brings the data back)',
};

function article(type: string): string {
  const names: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false' };
  return names[type] ?? type;
}
