import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as v from 'valibot';
import {
  TRAINER_EVENT_NAMES,
  TRAINER_EVENT_SCHEMAS,
  TRAINER_PROTOCOL_VERSION,
} from '../../src/protocol/trainer/events';
import { parseEventLine } from '../../src/runs/eventLog';
import { repoRoot } from '../support/paths';

/**
 * The event protocol is written twice: JSON Schema for the Python writer (the source of truth), valibot schemas
 * for the extension's reader (src/protocol/trainer/events.ts). This walks both and compares them.
 */

interface Property {
  const?: string | number;
  type?: string | string[];
  enum?: string[];
}
interface SchemaBranch {
  properties: Record<string, Property>;
  required: string[];
}
interface Schema {
  required: string[];
  properties: { v: { const: number }; event: { enum: string[] } } & Record<string, Property>;
  oneOf: SchemaBranch[];
}

const schema = JSON.parse(
  readFileSync(path.join(repoRoot, 'trainer', 'medqa_trainer', 'schema', 'events.schema.json'), 'utf8'),
) as Schema;

const schemaEvents = new Map(
  schema.oneOf.map((branch) => [branch.properties.event.const as string, branch] as const),
);

type AnySchema = v.GenericSchema & {
  wrapped?: AnySchema;
  pipe?: { type: string }[];
  options?: string[];
  literal?: unknown;
};

interface Field {
  optional: boolean;
  nullable: boolean;
  /** The JSON Schema type it stands for, or its enum / const. */
  type: string;
}

/** A valibot field as JSON Schema would say it: optional, nullable, its type. */
function fieldOf(entry: AnySchema): Field {
  let schema = entry;
  const optional = schema.type === 'optional';
  if (optional && schema.wrapped) schema = schema.wrapped;
  const nullable = schema.type === 'nullable';
  if (nullable && schema.wrapped) schema = schema.wrapped;
  const integer = schema.pipe?.some((action) => action.type === 'integer') === true;
  const types: Record<string, string> = {
    string: 'string',
    number: integer ? 'integer' : 'number',
    boolean: 'boolean',
    record: 'object',
    loose_object: 'object',
    picklist: `enum ${JSON.stringify(schema.options)}`,
    literal: `const ${JSON.stringify(schema.literal)}`,
  };
  return { optional, nullable, type: types[schema.type] ?? schema.type };
}

function jsonField(property: Property): Pick<Field, 'nullable' | 'type'> {
  const types = Array.isArray(property.type) ? property.type : property.type ? [property.type] : [];
  const type = property.enum
    ? `enum ${JSON.stringify(property.enum)}`
    : property.const !== undefined
      ? `const ${JSON.stringify(property.const)}`
      : (types.find((t) => t !== 'null') ?? 'any');
  return { nullable: types.includes('null'), type };
}

describe('trainer event protocol: valibot schemas and JSON Schema agree', () => {
  it('same protocol version and the same event names (schema enum, schema branches, valibot schemas)', () => {
    assert.equal(schema.properties.v.const, TRAINER_PROTOCOL_VERSION);
    const names = [...TRAINER_EVENT_NAMES].sort();
    assert.deepEqual([...schema.properties.event.enum].sort(), names);
    assert.deepEqual([...schemaEvents.keys()].sort(), names);
    assert.deepEqual(Object.keys(TRAINER_EVENT_SCHEMAS).sort(), names);
  });

  for (const name of TRAINER_EVENT_NAMES) {
    it(`${name}: same fields, same required fields, same types and nullability`, () => {
      const branch = schemaEvents.get(name);
      assert.ok(branch, `${name} is missing from the JSON Schema`);
      const entries = TRAINER_EVENT_SCHEMAS[name].entries as Record<string, AnySchema>;
      const fields = new Map(Object.entries(entries).map(([field, entry]) => [field, fieldOf(entry)]));
      const properties: Record<string, Property> = { ...schema.properties, ...branch.properties };
      assert.deepEqual([...fields.keys()].sort(), Object.keys(properties).sort(), 'field names');
      const required = [...fields].filter(([, f]) => !f.optional).map(([n]) => n);
      assert.deepEqual(
        required.sort(),
        [...new Set([...schema.required, ...branch.required])].sort(),
        'required',
      );
      for (const [field, property] of Object.entries(properties)) {
        const { nullable, type } = fields.get(field) as Field;
        const expected = jsonField(property);
        assert.equal(nullable, expected.nullable, `${field}: "null" allowed in one and not the other`);
        if (field !== 'event' && field !== 'v') assert.equal(type, expected.type, `${field}: type`);
      }
    });
  }

  it('the reader refuses an event whose field has the wrong type, as the schema does', () => {
    const line = { v: 1, event: 'eval', time: 't', step: 3, eval_loss: 'low', perplexity: 2 };
    assert.equal(parseEventLine(JSON.stringify(line)), 'invalid-fields');
    assert.equal(
      parseEventLine(JSON.stringify({ ...line, eval_loss: 1.5, extra: true })).constructor,
      Object,
    );
  });
});
