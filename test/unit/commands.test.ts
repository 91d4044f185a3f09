import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { allCommandIds } from '../../src/commands';
import { repoRoot } from '../support/paths';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    menus?: Record<string, { command?: string; submenu?: string }[]>;
    viewsWelcome?: { contents: string }[];
    walkthroughs?: { steps: { description: string }[] }[];
  };
}

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
const declared = manifest.contributes.commands.map((c) => c.command);

describe('command ids: package.json and src/commands.ts agree', () => {
  it('every declared command has an id in the command map', () => {
    const missing = declared.filter((id) => !allCommandIds.includes(id as never));
    assert.deepEqual(
      missing,
      [],
      `declared in package.json but not in src/commands.ts: ${missing.join(', ')}`,
    );
  });

  it('every command in the map is declared in package.json', () => {
    const undeclared = allCommandIds.filter((id) => !declared.includes(id));
    assert.deepEqual(undeclared, [], `in src/commands.ts but not declared: ${undeclared.join(', ')}`);
  });

  it('every registerCommand call in src/ uses the command map, never a string literal', () => {
    const offenders = sourceFiles(path.join(repoRoot, 'src')).filter((file) =>
      /registerCommand\(\s*['"`]/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });

  it('menus, welcome buttons and walkthrough links only name declared commands', () => {
    const referenced = new Set<string>();
    for (const entries of Object.values(manifest.contributes.menus ?? {})) {
      for (const entry of entries) if (entry.command) referenced.add(entry.command);
    }
    const texts = [
      ...(manifest.contributes.viewsWelcome ?? []).map((w) => w.contents),
      ...(manifest.contributes.walkthroughs ?? []).flatMap((w) => w.steps.map((s) => s.description)),
    ];
    for (const text of texts)
      for (const match of text.matchAll(/\(command:([\w.]+)/g)) referenced.add(match[1]);
    const unknown = [...referenced].filter((id) => id.startsWith('medqa.') && !declared.includes(id));
    assert.deepEqual(unknown, []);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}
