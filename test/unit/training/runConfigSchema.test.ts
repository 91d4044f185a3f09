import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  buildRunConfig,
  OVERRIDABLE_FIELDS,
  PRESET_NAMES,
  type FieldSpec,
  type OverrideField,
} from '../../../src/training/trainConfig';
import { repoRoot } from '../../support/paths';

/**
 * run.yaml's fields are defined by the trainer's TrainConfig (trainer/medqa_trainer/config.py), which writes them as
 * JSON Schema (schema/train_config.schema.json, regenerated and checked by tests/test_config_schema.py). The
 * extension's list of fields must match it: names, types, choices and the bounds the trainer checks. The extension
 * may add a bound only on a side where the trainer has none (a limit of the editor's form, such as 1000 epochs).
 */
interface Property {
  type: string | string[];
  enum?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: { const?: number; minimum?: number }[];
  items?: { type: string; enum?: string[] };
}
interface Schema {
  required: string[];
  properties: Record<string, Property>;
}

const schema = JSON.parse(
  readFileSync(path.join(repoRoot, 'trainer', 'medqa_trainer', 'schema', 'train_config.schema.json'), 'utf8'),
) as Schema;

const paths = {
  model: 'm',
  preset: 'recommended' as const,
  trainFile: 't',
  validationFile: 'v',
  manifestFile: 'f',
  outputDir: 'o',
};
/** The fields the extension fills from the user's other choices (model, export, run folder) instead of a form. */
const SET_FROM_CHOICES = Object.keys(buildRunConfig({ ...paths, overrides: {} }));
/** Written by the trainer into config.yaml, never by the extension. */
const TRAINER_ONLY = ['run_info'];

const types = (property: Property): string[] =>
  Array.isArray(property.type) ? property.type : [property.type];

interface Range {
  min?: number;
  max?: number;
  exclusiveMin: boolean;
  exclusiveMax: boolean;
}

/** The schema's bounds as the extension writes them: a whole-number field's `> 0` is `>= 1`. */
function schemaRange(property: Property): Range {
  const integer = types(property).includes('integer');
  const fromAnyOf = property.anyOf?.find((branch) => branch.minimum !== undefined)?.minimum;
  let min = property.minimum ?? fromAnyOf;
  let exclusiveMin = false;
  if (property.exclusiveMinimum !== undefined) {
    min = integer ? property.exclusiveMinimum + 1 : property.exclusiveMinimum;
    exclusiveMin = !integer;
  }
  let max = property.maximum;
  let exclusiveMax = false;
  if (property.exclusiveMaximum !== undefined) {
    max = integer ? property.exclusiveMaximum - 1 : property.exclusiveMaximum;
    exclusiveMax = !integer;
  }
  return { min, max, exclusiveMin, exclusiveMax };
}

function extensionRange(spec: FieldSpec): Range | undefined {
  const kind = spec.kind;
  if (kind.type === 'int') return { min: kind.min, max: kind.max, exclusiveMin: false, exclusiveMax: false };
  if (kind.type === 'float')
    return {
      min: kind.min,
      max: kind.max,
      exclusiveMin: kind.exclusiveMin === true,
      exclusiveMax: kind.exclusiveMax === true,
    };
  return undefined;
}

function assertSameKind(name: string, spec: FieldSpec, property: Property): void {
  const kind = spec.kind;
  const [type, ...rest] = types(property).filter((t) => t !== 'null');
  assert.equal(rest.length, 0, `${name}: one type besides null`);
  const nullable = types(property).includes('null');
  const expected = {
    int: 'integer',
    float: 'number',
    bool: 'boolean',
    string: 'string',
    enum: 'string',
    list: 'array',
  };
  assert.equal(
    expected[kind.type],
    type,
    `${name}: the extension's type ${kind.type}, the trainer's ${type}`,
  );
  if (kind.type === 'string')
    assert.equal(kind.nullable === true, nullable, `${name}: null (empty) allowed on one side only`);
  if (kind.type === 'list') {
    assert.equal(property.items?.type, 'string', `${name}: a list of strings`);
    assert.deepEqual(
      kind.values ? [...kind.values] : undefined,
      property.items?.enum,
      `${name}: the item choices differ`,
    );
  }
  assert.deepEqual(
    kind.type === 'enum' ? [...kind.values] : undefined,
    property.enum,
    `${name}: the choices differ`,
  );
}

function assertSameBounds(name: string, spec: FieldSpec, property: Property): void {
  const ours = extensionRange(spec);
  const theirs = schemaRange(property);
  if (!ours) {
    assert.deepEqual(
      [theirs.min, theirs.max],
      [undefined, undefined],
      `${name}: bounded in the trainer only`,
    );
    return;
  }
  if (theirs.min !== undefined)
    assert.deepEqual(
      [ours.min, ours.exclusiveMin],
      [theirs.min, theirs.exclusiveMin],
      `${name}: the minimum (and whether it is allowed) differs from the trainer's`,
    );
  if (theirs.max !== undefined)
    assert.deepEqual(
      [ours.max, ours.exclusiveMax],
      [theirs.max, theirs.exclusiveMax],
      `${name}: the maximum (and whether it is allowed) differs from the trainer's`,
    );
  const allowed = property.anyOf?.flatMap((branch) => (branch.const === undefined ? [] : [branch.const]));
  const kind = spec.kind;
  assert.deepEqual(
    kind.type === 'int' ? kind.allow : undefined,
    allowed,
    `${name}: the values allowed outside the range`,
  );
}

describe("run.yaml fields: the extension's list against the trainer's TrainConfig (JSON Schema)", () => {
  it('every TrainConfig field is set by the extension or offered as an override, and no other', () => {
    const ours = [...SET_FROM_CHOICES, ...Object.keys(OVERRIDABLE_FIELDS)].sort();
    const theirs = Object.keys(schema.properties)
      .filter((name) => !TRAINER_ONLY.includes(name))
      .sort();
    assert.deepEqual(ours, theirs);
    for (const required of schema.required) assert.ok(SET_FROM_CHOICES.includes(required), required);
  });

  it('the presets are the trainer’s', () => {
    assert.deepEqual([...PRESET_NAMES].sort(), [...(schema.properties.preset.enum ?? [])].sort());
  });

  for (const [name, spec] of Object.entries(OVERRIDABLE_FIELDS) as [OverrideField, FieldSpec][]) {
    it(`${name}: same type, choices and bounds`, () => {
      const property = schema.properties[name];
      assert.ok(property, `${name} is not a TrainConfig field`);
      assertSameKind(name, spec, property);
      assertSameBounds(name, spec, property);
    });
  }
});
