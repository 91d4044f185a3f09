import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/**
 * The local one-node cluster that ./studio test starts (scripts/slurm_local.sh): a test that needs it fails, never
 * skips, with the reason ./studio test or sinfo gave.
 */
export function requireLocalSlurm(): void {
  assert.ok(!process.env.MEDQA_SLURM_PROBLEM, process.env.MEDQA_SLURM_PROBLEM);
  assert.ok(
    process.env.SLURM_CONF,
    'SLURM_CONF is not set: start the cluster with scripts/slurm_local.sh start',
  );
  const sinfo = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' });
  assert.ok(
    sinfo.status === 0 && sinfo.stdout.trim(),
    `the local Slurm cluster does not answer: ${sinfo.stderr}`,
  );
}
