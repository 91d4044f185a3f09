import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { allCommandIds } from '../../../src/commands';
import { needsFirst, needsFolder, PrerequisiteError, REMEDIES } from '../../../src/util/prerequisite';
import { repoRoot } from '../../support/paths';

interface Manifest {
  contributes: { commands: { command: string; title: string }[] };
}

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest;
/** Built-in workbench commands a button may run. */
const BUILT_IN = new Set(['workbench.action.files.openFolder']);

/**
 * Panels answer their own messages next to their own buttons (the Playground's "Choose checkpoint…"), so a
 * "first" there needs no notification button.
 */
const ANSWERED_IN_PANEL = new Set([
  'src/inference/view/playgroundPanel.ts',
  'src/inference/view/playgroundCompare.ts',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('"do X first" messages offer the button that does X', () => {
  it('every remedy runs a declared command, and its button reads like that command', () => {
    for (const [name, remedy] of Object.entries(REMEDIES)) {
      if (BUILT_IN.has(remedy.command)) continue;
      assert.ok(allCommandIds.includes(remedy.command as never), `${name}: ${remedy.command} is not ours`);
      const declared = manifest.contributes.commands.find((c) => c.command === remedy.command);
      assert.equal(remedy.label, declared?.title, `${name}: button label vs package.json title`);
    }
  });

  it('the message that stopped Create Split on an empty workspace carries Import Dataset…', () => {
    const error = needsFirst('importDataset', 'Import a dataset first.');
    assert.ok(error instanceof PrerequisiteError && error instanceof Error);
    assert.equal(error.remedy.label, 'Import Dataset…');
    assert.equal(error.remedy.command, 'medqa.dataset.import');
    assert.equal(needsFolder().remedy.command, 'workbench.action.files.openFolder');
    assert.deepEqual(needsFirst('evaluateCheckpoint', 'x', { kind: 'checkpoint' }).args, [
      { kind: 'checkpoint' },
    ]);
  });

  it('no command throws a plain Error that asks for a step "first"', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(path.join(repoRoot, 'src'))) {
      const relative = path.relative(repoRoot, file).split(path.sep).join('/');
      if (ANSWERED_IN_PANEL.has(relative)) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/throw new Error\(([\s\S]*?)\);/g)) {
        // "first" that ends a request ("… first.", "… first:"), not "before its first save".
        if (/\bfirst\b(?!\s+[a-z])/i.test(match[1]))
          offenders.push(`${relative}: ${match[1].trim().slice(0, 80)}`);
      }
    }
    assert.deepEqual(offenders, [], 'use needsFirst(...) so the message comes with its button');
  });
});
