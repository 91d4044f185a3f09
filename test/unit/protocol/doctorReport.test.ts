import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseDoctorOutput } from '../../../src/protocol/trainer/doctor';
import { TRAINER_PROTOCOL_VERSION } from '../../../src/protocol/trainer/events';
import { repoRoot } from '../../support/paths';

const report = {
  python: '3.11.7',
  executable: '/venv/bin/python',
  packages: { torch: '2.13.0', peft: null },
  optional_packages: { deepspeed: null },
  cuda: { available: false, devices: [], bf16: false },
  trainer_version: '0.1.0',
  protocol_version: TRAINER_PROTOCOL_VERSION,
};

describe('doctor report (python -m medqa_trainer doctor --json)', () => {
  it('reads a report, keeping fields a newer doctor adds', () => {
    const output = parseDoctorOutput(JSON.stringify({ ...report, disk_free_gb: 12 }));
    assert.ok('report' in output && output.report);
    assert.equal(output.report.cuda.available, false);
    assert.equal(output.report.disk_free_gb, 12);
  });

  it('names the field that breaks the contract, and still reads the versions', () => {
    const output = parseDoctorOutput(
      JSON.stringify({ ...report, cuda: { ...report.cuda, available: 'yes' } }),
    );
    assert.ok('versions' in output && !output.report);
    assert.equal(output.versions.protocol_version, TRAINER_PROTOCOL_VERSION);
    assert.match(output.problem, /cannot read \(cuda\.available: /);
  });

  it('reads the versions of a trainer whose report has another shape, so the mismatch can be told', () => {
    const output = parseDoctorOutput(
      JSON.stringify({ protocol_version: 7, trainer_version: '9.0', cuda: 'n/a' }),
    );
    assert.ok('versions' in output);
    assert.deepEqual(output.versions, { protocol_version: 7, trainer_version: '9.0', cuda: 'n/a' });
    const unversioned = parseDoctorOutput(JSON.stringify({ python: '3.8' }));
    assert.ok('versions' in unversioned);
    assert.deepEqual(
      [unversioned.versions.protocol_version, unversioned.versions.trainer_version],
      [0, 'unknown'],
    );
  });

  it('says when the output is not a report', () => {
    assert.match(
      (parseDoctorOutput('Traceback (most') as { error: string }).error,
      /unreadable report: Traceback/,
    );
    assert.match((parseDoctorOutput('[1]') as { error: string }).error, /not an object/);
  });

  it("reads what the real trainer's doctor prints", function () {
    this.timeout(120_000);
    const python = path.join(repoRoot, '.venv', 'bin', 'python');
    assert.ok(existsSync(python), `this test needs the project venv at ${python}`);
    const stdout = execFileSync(python, ['-m', 'medqa_trainer', 'doctor', '--json'], {
      cwd: path.join(repoRoot, 'trainer'),
      encoding: 'utf8',
    });
    const output = parseDoctorOutput(stdout);
    assert.ok('report' in output && output.report, JSON.stringify(output));
    assert.equal(output.report.protocol_version, TRAINER_PROTOCOL_VERSION);
  });
});
