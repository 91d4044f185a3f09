import * as assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  readdirSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTrainerCommand } from '../../../src/trainer/process';
import { isPrivateDirectory, neutralDirectory } from '../../../src/trainer/workingDirectory';

/** A Python 3.10 interpreter (PATH, or pyenv's folder), which has no PYTHONSAFEPATH; undefined when none. */
function python310(): string | undefined {
  const pyenv = path.join(os.homedir(), '.pyenv', 'versions');
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'python3.10')),
    ...(existsSync(pyenv) ? readdirSync(pyenv) : [])
      .filter((v) => v.startsWith('3.10'))
      .map((v) => path.join(pyenv, v, 'bin', 'python3.10')),
  ];
  return candidates.find((file) => existsSync(file) && !file.includes('shims'));
}

/**
 * The trainer's working directory is the only thing keeping `python -m` on Python 3.10 (no PYTHONSAFEPATH) from
 * importing a planted module: a folder of that name made by someone else, or a symlink, must never be used.
 */
describe('the trainer working directory is private (issue 22, adversary 8)', () => {
  const uid = os.userInfo().uid;
  let base: string;
  const expected = () => path.join(base, `medqa-trainer-cwd-${uid}`);

  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'medqa-cwd-test-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  function assertFreshPrivate(dir: string): void {
    assert.notEqual(dir, expected());
    assert.ok(dir.startsWith(`${expected()}-`), dir);
    const stat = lstatSync(dir);
    assert.ok(stat.isDirectory() && !stat.isSymbolicLink());
    assert.equal(stat.uid, uid);
    assert.equal(stat.mode & 0o777, 0o700);
  }

  it('makes the usual folder with mode 0700 and reuses it', () => {
    const dir = neutralDirectory(base, uid);
    assert.equal(dir, expected());
    assert.equal(lstatSync(dir).mode & 0o777, 0o700);
    assert.equal(neutralDirectory(base, uid), dir);
  });

  it('never starts in a symlink planted under that name', () => {
    const elsewhere = path.join(base, 'attacker');
    mkdirSync(elsewhere, { mode: 0o700 });
    writeFileSync(path.join(elsewhere, 'transformers.py'), 'raise SystemExit("planted")\n');
    symlinkSync(elsewhere, expected());
    const dir = neutralDirectory(base, uid);
    assertFreshPrivate(dir);
    assert.equal(isPrivateDirectory(expected(), uid), false);
  });

  it('never starts in a folder that group or others may write', () => {
    mkdirSync(expected());
    chmodSync(expected(), 0o777);
    assertFreshPrivate(neutralDirectory(base, uid));
  });

  it('never starts in a folder of that name owned by another user', function () {
    if (uid !== 0) this.skip(); // only root can hand a folder to another user; CI runs as root
    mkdirSync(expected(), { mode: 0o700 });
    chownSync(expected(), 4242, 4242);
    assertFreshPrivate(neutralDirectory(base, uid));
  });

  it('does not take a plain file of that name', () => {
    writeFileSync(expected(), '');
    assertFreshPrivate(neutralDirectory(base, uid));
  });

  it('drops a remembered folder that stopped being private', () => {
    const first = neutralDirectory(base, uid);
    chmodSync(first, 0o777);
    const second = neutralDirectory(base, uid);
    assertFreshPrivate(second);
  });

  it('on Python 3.10, where the working folder is on sys.path despite PYTHONSAFEPATH, runs in the private one', async function () {
    const python = python310();
    if (!python) this.skip(); // no 3.10 here; the folder checks above still hold
    const lines: string[] = [];
    const exit = await runTrainerCommand({
      python,
      args: ['-c', 'import os, sys; print(os.getcwd()); print(repr(sys.path[0]))'],
      env: process.env,
      graceMs: 1_000,
      onOutput: (line) => lines.push(line),
    });
    assert.equal(exit.code, 0);
    assert.deepEqual(lines, [neutralDirectory(), "''"]); // '' is the working folder: only this user can write it
    assert.ok(isPrivateDirectory(neutralDirectory(), uid));
  });
});
