import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { DEMO_STATE } from '../support/workspace';

/**
 * An absolute path of the machine that made a file: its home, checkout or temp folders, a user cache. Preceded by
 * nothing path-like, so `.medqa/workspace.json` or `$HERE/work` are not taken for `/workspace` or `/work`.
 */
const ABSOLUTE_PATH =
  /(?<![\w.~$/-])(?:\/(?:root|work|home|tmp|Users|var\/folders|private\/var|mnt|opt|srv)\/|~\/\.cache\/|[A-Za-z]:\\(?:Users|work)\\)/;

/** Every file the repository ships under `folders` (git's list: a developer's own demo state is not shipped). */
function shippedFiles(folders: string[]): string[] {
  return execFileSync('git', ['ls-files', '-z', '--', ...folders], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
}

/** Each offending line (or, in a binary file, the bytes around the hit), with its file. */
function absolutePaths(file: string): string[] {
  const text = readFileSync(path.join(repoRoot, file)).toString('latin1');
  const hits: string[] = [];
  const pattern = new RegExp(ABSOLUTE_PATH.source, 'g');
  for (const match of text.matchAll(pattern)) {
    hits.push(`${file}: …${text.slice(match.index, match.index + 70).split('\n')[0]}`);
    if (hits.length >= 3) break;
  }
  return hits;
}

describe('shipped demo and examples hold no absolute paths of the machine that made them', () => {
  it('the pattern catches what the shipped run used to carry, and leaves relative paths alone', () => {
    for (const bad of [
      '"output_dir": "/work/main/examples/medquad-smollm2/work/runs/x"',
      'model_path: /root/.cache/medqa-studio/models/smollm2-135m-instruct',
      'Base: /home/alice/medqa/evaluations/1/base',
      'see ~/.cache/medqa-studio/models',
      '"of": "/tmp/medqa-export"',
      'C:\\Users\\alice\\runs',
    ])
      assert.match(bad, ABSOLUTE_PATH, bad);
    for (const good of [
      '"output_dir": "."',
      'train_file: ../../data/train.jsonl',
      '`.medqa/workspace.json` records the import',
      'WORK=${MEDQA_EXAMPLE_WORK:-$HERE/work}',
      'https://example.org/root/page',
      '"adapter": "../../../adapter"',
    ])
      assert.doesNotMatch(good, ABSOLUTE_PATH, good);
  });

  it('no file under demo/ or examples/ names one', () => {
    const files = shippedFiles(['demo', 'examples']);
    assert.ok(
      files.some((f) => f.endsWith('smollm2-medquad-cpu-small/config.yaml')),
      'git lists the shipped run',
    );
    assert.deepEqual(files.flatMap(absolutePaths), []);
  });
});

describe('what the demo ships in .medqa/', () => {
  it('is what the demo tests copy (DEMO_STATE), so the e2e opens the demo as ./studio demo does', () => {
    const shipped = shippedFiles(['demo/.medqa']).map((f) => f.slice('demo/'.length));
    for (const entry of DEMO_STATE)
      assert.ok(
        shipped.some((f) => f === entry || f.startsWith(`${entry}/`)),
        `${entry} is not shipped`,
      );
    const covered = (f: string) => DEMO_STATE.some((entry) => f === entry || f.startsWith(`${entry}/`));
    assert.deepEqual(
      shipped.filter((f) => !covered(f)),
      [],
    );
  });
});
