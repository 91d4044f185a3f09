import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TRAINER_PROTOCOL_VERSION } from '../../../src/protocol/trainer/events';
import { probePython, protocolMismatch, trainerEnv } from '../../../src/trainer/pythonEnvironment';

describe('trainer protocol version', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medqa-protocol-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A stand-in "python" that answers `-m medqa_trainer doctor --json` with the given protocol version. */
  function fakePython(protocol: number): string {
    const file = path.join(dir, `python-${protocol}`);
    const report = {
      python: '3.12',
      executable: file,
      packages: {},
      cuda: { available: false, devices: [], bf16: false },
      trainer_version: '9.9.9',
      protocol_version: protocol,
    };
    writeFileSync(file, `#!/bin/sh\necho '${JSON.stringify(report)}'\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('accepts a trainer that speaks our version', async () => {
    const probe = await probePython({ path: fakePython(TRAINER_PROTOCOL_VERSION), source: 'setting' }, dir);
    assert.equal(probe.ok, true);
  });

  it('says to update the trainer when it is older, and the extension when it is newer', async () => {
    const older = await probePython(
      { path: fakePython(TRAINER_PROTOCOL_VERSION - 1), source: 'setting' },
      dir,
    );
    assert.ok(!older.ok && older.problem === 'protocol-mismatch');
    assert.match(
      older.message,
      /speaks protocol version 0, this MedQA Studio speaks version 1\. Update the trainer/,
    );
    const newer = protocolMismatch(
      { protocol_version: TRAINER_PROTOCOL_VERSION + 1, trainer_version: '2.0.0' },
      'py',
    );
    assert.match(newer ?? '', /medqa_trainer 2\.0\.0.*Update the MedQA Studio extension/);
  });

  it('tells every trainer process which protocol the extension reads', () => {
    assert.equal(trainerEnv('/ext', {}).MEDQA_EXPECT_PROTOCOL, String(TRAINER_PROTOCOL_VERSION));
  });
});
