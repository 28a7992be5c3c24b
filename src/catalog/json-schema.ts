// A validator for the small subset of JSON Schema (draft 2020-12) the catalog's schema uses:
// type, enum, required, properties, additionalProperties (boolean), items, minItems,
// minLength, pattern, minimum and local $ref into $defs. Annotation keywords ($schema, $id,
// title, description) are accepted and ignored. Any other keyword makes the validator throw
// instead of silently passing, so the schema file cannot grow a rule this code does not check.

export interface SchemaIssue {
  /** JSON Pointer of the offending value inside the document ('' = the root). */
  pointer: string;
  message: string;
}

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const CHECKED = new Set(['type', 'enum', 'required', 'properties', 'additionalProperties', 'items', 'minItems', 'minLength', 'pattern', 'minimum', '$ref']);

/** Bound on $ref hops without consuming input, so a self-referencing schema cannot loop. */
const MAX_REF_CHAIN = 32;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  if (expected === 'number') return actual === 'number' || actual === 'integer';
  return expected === actual;
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolveRef(root: Schema, ref: string): Schema {
  const match = /^#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(ref);
  const defs = root.$defs as Record<string, Schema> | undefined;
  const target = match?.[1] !== undefined ? defs?.[match[1]] : undefined;
  if (target === undefined) throw new Error(`schema: unsupported or dangling $ref ${ref}`);
  return target;
}

/** Validates `value` against `schema`; returns every issue found (empty = valid). */
export function validateJsonSchema(schema: Schema, value: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const patterns = new Map<string, RegExp>();
  const regex = (source: string): RegExp => {
    let re = patterns.get(source);
    if (!re) patterns.set(source, (re = new RegExp(source, 'u')));
    return re;
  };

  const visit = (node: Schema, v: unknown, pointer: string, refDepth: number): void => {
    for (const key of Object.keys(node)) {
      if (!ANNOTATIONS.has(key) && !CHECKED.has(key)) throw new Error(`schema: keyword "${key}" is not supported by this validator`);
    }
    if (typeof node.$ref === 'string') {
      if (refDepth >= MAX_REF_CHAIN) throw new Error(`schema: $ref chain longer than ${MAX_REF_CHAIN}`);
      visit(resolveRef(schema, node.$ref), v, pointer, refDepth + 1);
    }
    if (typeof node.type === 'string' && !typeMatches(node.type, v)) {
      issues.push({ pointer, message: `expected ${node.type}, found ${typeOf(v)}` });
      return;
    }
    if (Array.isArray(node.enum) && !node.enum.some((e) => e === v)) {
      issues.push({ pointer, message: `must be one of ${node.enum.map((e) => JSON.stringify(e)).join(', ')}; found ${JSON.stringify(v)}` });
    }
    if (typeof v === 'string') {
      if (typeof node.minLength === 'number' && [...v].length < node.minLength) issues.push({ pointer, message: `shorter than ${node.minLength}` });
      if (typeof node.pattern === 'string' && !regex(node.pattern).test(v)) issues.push({ pointer, message: `${JSON.stringify(v)} does not match /${node.pattern}/` });
    }
    if (typeof v === 'number' && typeof node.minimum === 'number' && v < node.minimum) issues.push({ pointer, message: `below minimum ${node.minimum}` });
    if (Array.isArray(v)) {
      if (typeof node.minItems === 'number' && v.length < node.minItems) issues.push({ pointer, message: `needs at least ${node.minItems} item(s)` });
      if (node.items !== undefined && typeof node.items === 'object') v.forEach((item, i) => visit(node.items as Schema, item, `${pointer}/${i}`, 0));
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      if (Array.isArray(node.required)) {
        for (const name of node.required as string[]) if (!(name in obj)) issues.push({ pointer, message: `missing required property "${name}"` });
      }
      const properties = (node.properties ?? {}) as Record<string, Schema>;
      for (const [name, child] of Object.entries(obj)) {
        const sub = Object.prototype.hasOwnProperty.call(properties, name) ? properties[name] : undefined;
        if (sub !== undefined) visit(sub, child, `${pointer}/${escapePointer(name)}`, 0);
        else if (node.additionalProperties === false) issues.push({ pointer, message: `unknown property "${name}"` });
      }
    }
  };
  visit(schema, value, '', 0);
  return issues;
}
