import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fixturesDir, repoRoot } from '../../support/paths';

const cli = path.join(repoRoot, 'out', 'cli.js');
const medquad = path.join(fixturesDir, 'medquad', 'MedQuAD');

function medqa(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, 'data', ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('medqa data (CLI)', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => assert.ok(existsSync(cli), `${cli} is missing: run "node esbuild.mjs" first`));
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'medqa-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stats --json prints counts on stdout and progress on stderr', () => {
    const { code, stdout, stderr } = medqa('stats', medquad, '--json');
    assert.equal(code, 0, stderr);
    const stats = JSON.parse(stdout);
    assert.equal(stats.pairs, 15);
    assert.equal(stats.answered, 11);
    assert.equal(stats.unanswered, 4);
    assert.equal(stats.errors, 0);
    assert.deepEqual(stats.byCollection['6_NINDS_QA'], { pairs: 2, answered: 2, unanswered: 0 });
    assert.equal(stats.byQtype.information.pairs, 4);
    assert.match(stderr, /Imported 15 pairs from 10 files/);
  });

  it('stats lists import problems with file and line', () => {
    const { code, stdout, stderr } = medqa('stats', path.join(fixturesDir, 'medquad', 'broken'));
    assert.equal(code, 0);
    assert.match(stdout, /import problems: 3/);
    assert.match(stderr, /malformed-xml: 5_NIDDK_QA\/0000001\.xml:11:\d+: end tag <\/Answr>/);
  });

  it('dedupe finds the duplicated question', () => {
    const { code, stdout } = medqa('dedupe', medquad, '--json', '--threshold', '0.9');
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.threshold, 0.9);
    assert.deepEqual(report.questions.groups[0].ids, ['1_CancerGov_QA/0000001_1/2', '2_GARD_QA/0000004/3']);
  });

  it('split then export writes byte-identical splits and a contract #1 export', () => {
    const a = medqa('split', medquad, '--seed', '7', '--ratios', '60,20,20', '--out', path.join(dir, 'a'));
    const b = medqa('split', medquad, '--seed', '7', '--ratios', '60,20,20', '--out', path.join(dir, 'b'));
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(
      readFileSync(path.join(dir, 'a', 'split.json'), 'utf8'),
      readFileSync(path.join(dir, 'b', 'split.json'), 'utf8'),
    );
    const out = path.join(dir, 'export');
    const exported = medqa(
      'export',
      medquad,
      '--split-file',
      path.join(dir, 'a', 'split.json'),
      '--out',
      out,
      '--system-prompt',
      'Be brief.',
    );
    assert.equal(exported.code, 0, exported.stderr);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.seed, 7);
    assert.equal(manifest.counts.train + manifest.counts.validation + manifest.counts.test, 11);
    assert.equal(manifest.systemPrompt, 'Be brief.');
  });

  it('fails clearly: usage errors exit 2, bad inputs exit 1, never writes into the source', () => {
    const noOut = medqa('split', medquad);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out DIR is required/);
    assert.equal(medqa('split', medquad, '--out', dir, '--ratios', '1,2').code, 2);
    assert.equal(medqa('dedupe', medquad, '--threshold', '2').code, 2);
    const missing = medqa('stats', path.join(dir, 'nothing-here'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file or folder/);
    const inside = medqa('split', medquad, '--out', path.join(medquad, 'splits'));
    assert.equal(inside.code, 1);
    assert.match(inside.stderr, /Refusing to write into the source dataset/);
    assert.equal(existsSync(path.join(medquad, 'splits')), false);
    const notSplit = medqa(
      'export',
      medquad,
      '--split-file',
      path.join(medquad, '9_CDC_QA', '0000001.xml'),
      '--out',
      dir,
    );
    assert.equal(notSplit.code, 1);
    assert.match(notSplit.stderr, /Cannot read split file/);
    assert.equal(medqa('tokens', medquad, '--tokenizer', dir).code, 1);
  });
});
