import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { TRAINER_EVENT_NAMES, TRAINER_PROTOCOL_VERSION } from '../../src/protocol/trainerEvents';
import { REQUIRED_EVENT_FIELDS } from '../../src/runs/eventLog';
import { repoRoot } from '../support/paths';

/**
 * The event protocol is defined twice: JSON Schema for the Python writer, TypeScript types for the extension.
 * This reads both (the types through the TypeScript parser, since types vanish at run time) and compares them.
 */

interface SchemaBranch {
  properties: Record<string, { const?: string; type?: string | string[] }>;
  required: string[];
}
interface Schema {
  required: string[];
  properties: { v: { const: number }; event: { enum: string[] } };
  oneOf: SchemaBranch[];
}

const schema = JSON.parse(
  readFileSync(path.join(repoRoot, 'trainer', 'medqa_trainer', 'schema', 'events.schema.json'), 'utf8'),
) as Schema;

const schemaEvents = new Map(
  schema.oneOf.map((branch) => [branch.properties.event.const as string, branch] as const),
);

interface TsField {
  optional: boolean;
  nullable: boolean;
}

/** event name → its interface's fields (including the base interface's), read from the source. */
function typeScriptEvents(): Map<string, Map<string, TsField>> {
  const file = path.join(repoRoot, 'src', 'protocol', 'trainerEvents.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });
  const fieldsOf = (decl: ts.InterfaceDeclaration): Map<string, TsField> => {
    const fields = new Map<string, TsField>();
    for (const clause of decl.heritageClauses ?? []) {
      for (const type of clause.types) {
        const parent = interfaces.get(type.expression.getText(source));
        if (parent) for (const [name, field] of fieldsOf(parent)) fields.set(name, field);
      }
    }
    for (const member of decl.members) {
      if (!ts.isPropertySignature(member) || !member.type) continue;
      const nullable =
        ts.isUnionTypeNode(member.type) &&
        member.type.types.some(
          (t) => ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword,
        );
      fields.set(member.name.getText(source), { optional: member.questionToken !== undefined, nullable });
    }
    return fields;
  };
  const events = new Map<string, Map<string, TsField>>();
  for (const decl of interfaces.values()) {
    const eventMember = decl.members.find(
      (m): m is ts.PropertySignature => ts.isPropertySignature(m) && m.name.getText(source) === 'event',
    );
    if (
      eventMember?.type &&
      ts.isLiteralTypeNode(eventMember.type) &&
      ts.isStringLiteral(eventMember.type.literal)
    ) {
      events.set(eventMember.type.literal.text, fieldsOf(decl));
    }
  }
  return events;
}

const tsEvents = typeScriptEvents();

describe('trainer event protocol: TypeScript types and JSON Schema agree', () => {
  it('same protocol version and the same event names (schema enum, schema branches, interfaces, name list)', () => {
    assert.equal(schema.properties.v.const, TRAINER_PROTOCOL_VERSION);
    const names = [...TRAINER_EVENT_NAMES].sort();
    assert.deepEqual([...schema.properties.event.enum].sort(), names);
    assert.deepEqual([...schemaEvents.keys()].sort(), names);
    assert.deepEqual([...tsEvents.keys()].sort(), names);
  });

  for (const name of TRAINER_EVENT_NAMES) {
    it(`${name}: same fields, same required fields, same nullability`, () => {
      const branch = schemaEvents.get(name);
      const fields = tsEvents.get(name);
      assert.ok(branch && fields, `${name} is missing on one side`);
      const schemaRequired = new Set([...schema.required, ...branch.required]);
      const schemaFields = new Set([...Object.keys(schema.properties), ...Object.keys(branch.properties)]);
      assert.deepEqual([...fields.keys()].sort(), [...schemaFields].sort(), 'field names');
      const tsRequired = [...fields].filter(([, f]) => !f.optional).map(([n]) => n);
      assert.deepEqual(
        tsRequired.sort(),
        [...schemaRequired].sort(),
        'required fields (non-optional in TypeScript)',
      );
      for (const [field, spec] of Object.entries(branch.properties)) {
        const schemaNullable = Array.isArray(spec.type) && spec.type.includes('null');
        assert.equal(
          fields.get(field)?.nullable,
          schemaNullable,
          `${field}: "null" allowed in one and not the other`,
        );
      }
    });
  }

  it("the reader's required-field table matches the schema", () => {
    for (const name of TRAINER_EVENT_NAMES) {
      const branch = schemaEvents.get(name) as SchemaBranch;
      assert.deepEqual(
        [...REQUIRED_EVENT_FIELDS[name]].sort(),
        branch.required.filter((f) => f !== 'event').sort(),
        name,
      );
    }
  });
});
