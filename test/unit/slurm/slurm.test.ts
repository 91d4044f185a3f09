import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SLURM_JOB_FILE } from '../../../src/protocol/trainer/slurmJob';
import { readAllEvents } from '../../../src/runs/eventLog';
import { RunRegistry } from '../../../src/runs/registry';
import { emptyProgress } from '../../../src/runs/runState';
import { slurmRunStatus } from '../../../src/runs/slurmRun';
import { runDescription, runFacts } from '../../../src/runs/view/runItems';
import { SlurmJobWatcher } from '../../../src/slurm/jobWatcher';
import {
  jobStateOf,
  parseJobLines,
  querySlurmJobs,
  scancelArgs,
  SlurmCommandError,
  type CommandRunner,
  type SlurmJobStatus,
} from '../../../src/slurm/scheduler';
import { cancelSlurmRun } from '../../../src/training/slurmCancel';
import { resourcesFrom, submitArgs, type SlurmResources } from '../../../src/training/slurmSubmit';
import { ProcessStartError, type ProcessResult } from '../../../src/util/process';

const ok = (stdout: string): ProcessResult => ({ code: 0, signal: null, stdout, stderr: '' });
const failed = (stderr: string): ProcessResult => ({ code: 1, signal: null, stdout: '', stderr });

/** A fake Slurm: answers each command from a function and records the argument arrays it got. */
function fakeSlurm(answer: (command: string, args: readonly string[]) => ProcessResult) {
  const calls: [string, string[]][] = [];
  const runner: CommandRunner = (command, args) => {
    calls.push([command, [...args]]);
    return Promise.resolve(answer(command, args));
  };
  return { runner, calls };
}

describe('Slurm: the scheduler client', () => {
  it("maps Slurm's state words to run states, sacct's 'CANCELLED by UID' included", () => {
    assert.equal(jobStateOf('PENDING'), 'pending');
    assert.equal(jobStateOf('CONFIGURING'), 'pending');
    assert.equal(jobStateOf('COMPLETING'), 'running');
    assert.equal(jobStateOf('COMPLETED'), 'finished');
    assert.equal(jobStateOf('TIMEOUT'), 'failed');
    assert.equal(jobStateOf('OUT_OF_MEMORY'), 'failed');
    assert.equal(jobStateOf('CANCELLED by 0'), 'cancelled');
    assert.equal(jobStateOf('SOMETHING_NEW'), undefined);
  });

  it("parses squeue's ID|STATE|REASON and sacct's ID|STATE lines, keeping a pending job's reason", () => {
    const jobs = parseJobLines(
      '12|PENDING|Resources\n13|RUNNING|None\n14|CANCELLED by 0\nnoise\n15_2|RUNNING|None\n',
    );
    assert.deepEqual(Object.fromEntries(jobs), {
      12: { state: 'pending', slurmState: 'PENDING', reason: 'Resources' },
      13: { state: 'running', slurmState: 'RUNNING' },
      14: { state: 'cancelled', slurmState: 'CANCELLED' },
    });
  });

  it('asks squeue for all jobs at once, then sacct for those squeue has forgotten', async () => {
    const slurm = fakeSlurm((command) =>
      command === 'squeue' ? ok('7|RUNNING|None\n') : ok('8|COMPLETED\n'),
    );
    const jobs = await querySlurmJobs(['7', '8'], slurm.runner);
    assert.equal(jobs.get('7')?.state, 'running');
    assert.equal(jobs.get('8')?.state, 'finished');
    assert.deepEqual(slurm.calls, [
      ['squeue', ['--noheader', '--states=all', '--jobs=7,8', '--format=%i|%T|%r']],
      ['sacct', ['--noheader', '--allocations', '--parsable2', '--jobs=8', '--format=JobIDRaw,State']],
    ]);
  });

  it('leaves a job out when squeue forgot it and accounting is disabled (no error)', async () => {
    const slurm = fakeSlurm((command) =>
      command === 'squeue'
        ? failed('slurm_load_jobs error: Invalid job id specified')
        : failed('Slurm accounting storage is disabled'),
    );
    assert.equal((await querySlurmJobs(['9'], slurm.runner)).size, 0);
  });

  it("fails with squeue's own words when the controller cannot be reached", async () => {
    const slurm = fakeSlurm(() =>
      failed('squeue: error: Unable to contact slurm controller (connect failure)'),
    );
    await assert.rejects(querySlurmJobs(['9'], slurm.runner), (error: Error) => {
      assert.ok(error instanceof SlurmCommandError);
      assert.equal(
        error.message,
        'squeue: squeue: error: Unable to contact slurm controller (connect failure)',
      );
      return true;
    });
  });

  it('says where Slurm runs are followed from when squeue is not installed', async () => {
    const missing: CommandRunner = (command) => {
      const cause = Object.assign(new Error('spawn squeue ENOENT'), { code: 'ENOENT' });
      return Promise.reject(new ProcessStartError(command, cause));
    };
    await assert.rejects(querySlurmJobs(['9'], missing), /squeue is not on PATH: .*Remote-SSH/);
  });

  it('cancels a running job with SIGTERM to its steps, a queued one outright', () => {
    assert.deepEqual(scancelArgs('5', 'term'), ['--signal=TERM', '5']);
    assert.deepEqual(scancelArgs('5', 'hard'), ['5']);
  });

  it('the watcher reports only jobs whose state changed and keeps the last state of a forgotten job', async () => {
    let answer = new Map<string, SlurmJobStatus>([['1', { state: 'pending', slurmState: 'PENDING' }]]);
    const watcher = new SlurmJobWatcher(() => Promise.resolve(answer));
    assert.deepEqual(await watcher.poll(['1']), ['1']);
    assert.deepEqual(await watcher.poll(['1']), []);
    answer = new Map([['1', { state: 'running', slurmState: 'RUNNING' }]]);
    assert.deepEqual(await watcher.poll(['1']), ['1']);
    answer = new Map();
    assert.deepEqual(await watcher.poll(['1']), []);
    assert.equal(watcher.stateOf('1')?.state, 'running');
  });
});

describe('Slurm: submit arguments', () => {
  const base: SlurmResources = {
    partition: '',
    account: '',
    time: '',
    nodes: 1,
    gpusPerNode: 0,
    cpusPerTask: 0,
    mem: '',
    extraArgs: [],
    python: '',
  };

  it('passes the settings to `submit --slurm` as an argument array, empty ones left to the cluster', () => {
    assert.deepEqual(submitArgs('/runs/a b/run.yaml', base), [
      '-m',
      'medqa_trainer',
      'submit',
      '--slurm',
      '/runs/a b/run.yaml',
      '--nodes',
      '1',
      '--gpus-per-node',
      '0',
      '--cpus-per-task',
      '0',
    ]);
    const full = { ...base, partition: 'gpu', time: '1:00:00', gpusPerNode: 4, extraArgs: ['--qos=high'] };
    assert.deepEqual(submitArgs('/r/run.yaml', full, { resume: 'latest' }).slice(3), [
      '--slurm',
      '/r/run.yaml',
      '--nodes',
      '1',
      '--gpus-per-node',
      '4',
      '--cpus-per-task',
      '0',
      '--partition',
      'gpu',
      '--time',
      '1:00:00',
      '--resume',
      'latest',
      '--sbatch-arg=--qos=high',
    ]);
  });

  it("checks a caller's overrides against the settings' fields and types", () => {
    assert.equal(resourcesFrom(base, { partition: 'debug' }).partition, 'debug');
    assert.throws(() => resourcesFrom(base, { gpus: 2 }), /Unknown Slurm option "gpus"; use partition, /);
    assert.throws(() => resourcesFrom(base, { nodes: '2' }), /"nodes" must be a number, not string/);
    assert.throws(
      () => resourcesFrom(base, { extraArgs: '--qos=x' }),
      /"extraArgs" must be a array, not string/,
    );
  });
});

describe('Slurm: runs in the registry', () => {
  let dir: string;
  const record = {
    job_id: '7',
    cluster: null,
    submitted_at: '2026-12-06T13:00:00Z',
    script: 'slurm.sbatch',
    output: 'slurm-7.out',
    resources: {
      partition: '',
      account: '',
      time: '',
      nodes: 1,
      gpus_per_node: 0,
      cpus_per_task: 0,
      mem: '',
      extra_args: [],
    },
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medqa-slurm-'));
    await fs.mkdir(path.join(dir, 'run'));
    await fs.writeFile(path.join(dir, 'run', 'run.yaml'), 'preset: recommended\n');
    await fs.writeFile(path.join(dir, 'run', SLURM_JOB_FILE), JSON.stringify(record));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it("shows a queued job as pending with its reason, then running, from the scheduler's answers", async () => {
    let status: SlurmJobStatus | undefined = { state: 'pending', slurmState: 'PENDING', reason: 'Resources' };
    const registry = new RunRegistry(dir, { slurmStates: (id) => (id === '7' ? status : undefined) });
    let [run] = await registry.refreshAll();
    assert.equal(run.status, 'pending');
    assert.equal(run.slurm?.jobId, '7');
    assert.equal(runDescription(run), 'Slurm job 7 · pending (Resources)');
    const fact = runFacts(run).find((f) => f.key === 'slurm');
    assert.equal(fact?.value, '7 · PENDING');
    assert.equal(fact?.file, path.join(dir, 'run', 'slurm-7.out'));
    status = { state: 'running', slurmState: 'RUNNING' };
    [run] = await registry.refreshAll();
    assert.equal(run.status, 'running');
    status = undefined;
    const unasked = new RunRegistry(dir, { slurmStates: () => status });
    [run] = await unasked.refreshAll();
    assert.equal(run.status, 'interrupted', 'no scheduler answer and no live trainer: the PID rule applies');
  });

  it("lets the trainer's closing event decide, and fails a job that ended without one", () => {
    const job = {
      jobId: '7',
      outputFile: '/r/slurm-7.out',
      state: 'finished' as const,
      slurmState: 'COMPLETED',
    };
    const progress = emptyProgress();
    assert.equal(slurmRunStatus(progress, job), 'failed');
    assert.equal(
      progress.error,
      'Slurm job 7 ended (COMPLETED) before the trainer reported an outcome; see slurm-7.out.',
    );
    assert.equal(slurmRunStatus({ ...emptyProgress(), terminal: 'run_cancelled' }, job), undefined);
    assert.equal(
      slurmRunStatus(emptyProgress(), { ...job, state: 'cancelled', slurmState: 'CANCELLED' }),
      'cancelled',
    );
  });

  it('cancels a queued job with scancel and records run_cancelled, since no trainer will', async () => {
    const slurm = fakeSlurm((command) => (command === 'squeue' ? ok('7|PENDING|Priority\n') : ok('')));
    const registry = new RunRegistry(dir, {
      slurmStates: () => ({ state: 'pending', slurmState: 'PENDING' }),
    });
    const [run] = await registry.refreshAll();
    await cancelSlurmRun(run, { graceMs: 1000, log: () => undefined, runner: slurm.runner });
    assert.deepEqual(
      slurm.calls.filter(([command]) => command === 'scancel'),
      [['scancel', ['7']]],
    );
    const events = await readAllEvents(path.join(dir, 'run', 'events.jsonl'));
    assert.deepEqual(
      events.map((e) => e.event),
      ['run_cancelled'],
    );
  });

  it('sends SIGTERM to a running job and waits for it to end before anything harder', async () => {
    let polls = 0;
    const slurm = fakeSlurm((command) => {
      if (command !== 'squeue') return ok('');
      polls += 1;
      return ok(polls <= 2 ? '7|RUNNING|None\n' : '7|COMPLETED|None\n');
    });
    const registry = new RunRegistry(dir, {
      slurmStates: () => ({ state: 'running', slurmState: 'RUNNING' }),
    });
    const [run] = await registry.refreshAll();
    await cancelSlurmRun(run, { graceMs: 5000, pollMs: 10, log: () => undefined, runner: slurm.runner });
    assert.deepEqual(
      slurm.calls.filter(([command]) => command === 'scancel'),
      [['scancel', ['--signal=TERM', '7']]],
    );
  });
});
