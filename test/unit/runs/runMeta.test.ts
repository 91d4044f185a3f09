import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunInfo } from '../../../src/runs/registry';
import {
  nameProblem,
  parseRunMeta,
  parseTags,
  readRunMetaFile,
  RUN_META_FILE,
  writeRunMetaFile,
} from '../../../src/runs/runMeta';
import { emptyProgress } from '../../../src/runs/runState';
import { runDescription, runFacts, runLabel } from '../../../src/runs/view/runItems';

describe('run names and tags (Rename / Tag)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-meta-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses tags from spaces, commas and #, and says what is wrong with a bad one', () => {
    assert.deepEqual(parseTags(' baseline, lr-2e-4 #cpu baseline ,, '), {
      tags: ['baseline', 'lr-2e-4', 'cpu'],
    });
    assert.deepEqual(parseTags(''), { tags: [] });
    assert.match(parseTags('ok -bad').problem ?? '', /"-bad" is not a tag/);
    assert.match(parseTags('x'.repeat(40)).problem ?? '', /longer than 32/);
    assert.deepEqual(parseTags('médical qwen3:0.6b a/b').tags, ['médical', 'qwen3:0.6b', 'a/b']);
  });

  it('checks names and ignores malformed metadata', () => {
    assert.equal(nameProblem('  Baseline run  '), undefined);
    assert.match(nameProblem('a\u0007b') ?? '', /Control characters/);
    assert.match(nameProblem('n'.repeat(81)) ?? '', /at most 80/);
    assert.equal(parseRunMeta('nope'), undefined);
    assert.deepEqual(parseRunMeta({ displayName: ' Kept ', tags: ['a', 'a', 'b c', 7] }), {
      displayName: 'Kept',
      tags: ['a'],
    });
  });

  it('writes .medqa-run.json atomically beside the run and removes it when emptied', async () => {
    await writeRunMetaFile(dir, { displayName: 'Baseline', tags: ['a'] });
    const file = path.join(dir, RUN_META_FILE);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      format: 'medqa-run-meta',
      version: 1,
      displayName: 'Baseline',
      tags: ['a'],
    });
    assert.deepEqual(readdirSync(dir), [RUN_META_FILE], 'no temp file left behind');
    assert.deepEqual(await readRunMetaFile(dir), { displayName: 'Baseline', tags: ['a'] });
    await writeRunMetaFile(dir, { tags: [] });
    assert.equal(existsSync(file), false);
    assert.equal(await readRunMetaFile(dir), undefined);
  });

  it('the views show the name, the tags, and mark imported runs read-only', () => {
    const base: RunInfo = {
      dir: '/runs/hf',
      name: 'hf',
      status: 'finished',
      progress: { ...emptyProgress(), totalSteps: 8, finalStep: 8 },
      checkpoints: [],
      skippedLines: 0,
      createdAt: 0,
      files: { trainerState: '/runs/hf/trainer_state.json' },
    };
    assert.equal(runLabel(base), 'hf');
    assert.equal(runDescription(base), 'finished · step 8/8');
    const imported: RunInfo = {
      ...base,
      source: 'huggingface',
      displayName: 'Cluster run',
      tags: ['hf', 'sft'],
    };
    assert.equal(runLabel(imported), 'Cluster run');
    assert.equal(runDescription(imported), 'imported · read-only · finished · step 8/8 · #hf #sft');
    const facts = Object.fromEntries(runFacts(imported).map((f) => [f.key, f.value]));
    assert.equal(facts.source, 'Hugging Face Trainer · imported, read-only');
    assert.equal(facts.tags, '#hf #sft');
    assert.equal(facts.folderName, 'hf');
    const unknown: RunInfo = { ...imported, status: 'unknown', tags: [] };
    assert.match(runDescription(unknown), /^imported · read-only · status unknown/);
    const unreadable: RunInfo = { ...base, status: 'unreadable', problem: 'config.yaml is empty' };
    assert.equal(runFacts(unreadable)[0].value, 'config.yaml is empty');
    assert.equal(runDescription(unreadable), 'unreadable · step 8/8');
  });
});
