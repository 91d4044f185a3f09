import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInside, sourcePolicy } from '../../../src/dataset/sourcePolicy';

describe('dataset sources in an untrusted workspace', () => {
  let root: string;
  let workspace: string;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medqa-policy-'));
    workspace = path.join(root, 'workspace');
    mkdirSync(path.join(workspace, 'data'), { recursive: true });
    symlinkSync('/', path.join(workspace, 'data', 'everything'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads only the workspace folder and what the user picked, until the workspace is trusted', () => {
    let trusted = false;
    const picked = new Set<string>();
    const policy = sourcePolicy({ workspaceDir: workspace, isTrusted: () => trusted, picked });
    assert.equal(policy(path.join(workspace, 'data')), undefined);
    for (const outside of [
      '/',
      os.homedir(),
      path.join(workspace, '..'),
      path.join(workspace, 'data', 'everything'),
    ])
      assert.match(policy(outside) ?? '', /is outside this workspace, which is not trusted/, outside);
    picked.add(path.resolve(root));
    assert.equal(policy(root), undefined, 'picked by the user in this window');
    trusted = true;
    assert.equal(policy('/'), undefined);
  });

  it('follows links when deciding what is inside', () => {
    assert.equal(isInside(workspace, path.join(workspace, 'data')), true);
    assert.equal(isInside(workspace, path.join(workspace, 'data', 'everything')), false);
    assert.equal(isInside(workspace, `${workspace}-sibling`), false);
  });
});
