import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseDoctorOutput, type TrainerDoctorReport } from '../protocol/trainer/doctor';
import { TRAINER_PROTOCOL_VERSION } from '../protocol/trainer/events';
import { runProcess } from '../util/process';
import { trainerArgs } from './process';
import { neutralDirectory } from './workingDirectory';

/** Where a candidate interpreter came from, so messages can tell the user what to change. */
export type PythonSource = 'setting' | 'python-extension' | 'workspace-venv' | 'extension-venv' | 'system';

export interface PythonCandidate {
  path: string;
  source: PythonSource;
}

export interface PythonLookup {
  configuredPath?: string;
  pythonExtensionPath?: string;
  workspaceFolders: readonly string[];
  extensionPath: string;
  /** Extra venvs the extension manages itself (e.g. in global storage). */
  managedVenvs?: readonly string[];
}

function venvPython(venvDir: string): string {
  return process.platform === 'win32'
    ? path.join(venvDir, 'Scripts', 'python.exe')
    : path.join(venvDir, 'bin', 'python');
}

/** Candidates in the order a user expects: explicit setting, the Python extension, local venvs, then PATH. */
export function pythonCandidates(lookup: PythonLookup): PythonCandidate[] {
  const candidates: PythonCandidate[] = [];
  if (lookup.configuredPath) candidates.push({ path: lookup.configuredPath, source: 'setting' });
  if (lookup.pythonExtensionPath)
    candidates.push({ path: lookup.pythonExtensionPath, source: 'python-extension' });
  for (const folder of lookup.workspaceFolders) {
    const candidate = venvPython(path.join(folder, '.venv'));
    if (existsSync(candidate)) candidates.push({ path: candidate, source: 'workspace-venv' });
  }
  for (const venv of [path.join(lookup.extensionPath, '.venv'), ...(lookup.managedVenvs ?? [])]) {
    const candidate = venvPython(venv);
    if (existsSync(candidate)) candidates.push({ path: candidate, source: 'extension-venv' });
  }
  candidates.push({ path: process.platform === 'win32' ? 'python' : 'python3', source: 'system' });
  return candidates;
}

export type { TrainerDoctorReport } from '../protocol/trainer/doctor';

export type PythonProbe =
  | { ok: true; candidate: PythonCandidate; report: TrainerDoctorReport }
  | {
      ok: false;
      candidate: PythonCandidate;
      problem: 'not-found' | 'trainer-missing' | 'protocol-mismatch' | 'failed';
      message: string;
    };

/** Environment for trainer processes: the extension's bundled `trainer/` is importable without installing it. */
export function trainerEnv(extensionPath: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const trainerDir = path.join(extensionPath, 'trainer');
  const existing = base.PYTHONPATH ? [base.PYTHONPATH] : [];
  return {
    ...base,
    PYTHONPATH: [trainerDir, ...existing].join(path.delimiter),
    PYTHONUNBUFFERED: '1',
    // Nothing is imported from the working directory or a script's folder (Python ≥ 3.11). Python 3.10 ignores
    // it: there the working directory, a folder only this user can write (neutralDirectory), is what keeps it safe.
    PYTHONSAFEPATH: '1',
    // The trainer refuses to start (exit 3, which side to update) when it writes another protocol version.
    MEDQA_EXPECT_PROTOCOL: String(TRAINER_PROTOCOL_VERSION),
  };
}

/**
 * The trainer and the extension must speak the same event protocol (contract #2). Says which side is older, so
 * the user updates that one; undefined when they match.
 */
export function protocolMismatch(
  report: Pick<TrainerDoctorReport, 'protocol_version' | 'trainer_version'>,
  python: string,
): string | undefined {
  const theirs = report.protocol_version;
  if (theirs === TRAINER_PROTOCOL_VERSION) return undefined;
  const side =
    typeof theirs === 'number' && theirs > TRAINER_PROTOCOL_VERSION
      ? 'Update the MedQA Studio extension, which is older than this trainer.'
      : `Update the trainer (run "MedQA: Set Up Python Environment", or pip install the trainer/ folder shipped with this extension into ${python}).`;
  return (
    `The trainer at "${python}" (medqa_trainer ${report.trainer_version ?? 'unknown'}) speaks protocol version ` +
    `${JSON.stringify(theirs)}, this MedQA Studio speaks version ${TRAINER_PROTOCOL_VERSION}. ${side}`
  );
}

export async function probePython(candidate: PythonCandidate, extensionPath: string): Promise<PythonProbe> {
  let result;
  try {
    result = await runProcess(candidate.path, trainerArgs('doctor', ['--json']), {
      cwd: neutralDirectory(),
      env: trainerEnv(extensionPath),
      timeoutMs: 120_000,
    });
  } catch {
    return {
      ok: false,
      candidate,
      problem: 'not-found',
      message: `Python not found at "${candidate.path}" (${candidate.source}).`,
    };
  }
  if (result.code === 0) {
    const output = parseDoctorOutput(result.stdout);
    if ('error' in output) return { ok: false, candidate, problem: 'failed', message: output.error };
    const mismatch = protocolMismatch(output.versions, candidate.path);
    if (mismatch) return { ok: false, candidate, problem: 'protocol-mismatch', message: mismatch };
    return output.report
      ? { ok: true, candidate, report: output.report }
      : { ok: false, candidate, problem: 'failed', message: output.problem };
  }
  const missing = /No module named '?([\w.]+)'?/.exec(result.stderr);
  if (missing) {
    return {
      ok: false,
      candidate,
      problem: 'trainer-missing',
      message: `Python at "${candidate.path}" lacks the package "${missing[1]}". Run "MedQA: Set Up Python Environment" or install trainer/requirements.txt.`,
    };
  }
  const lastLine = result.stderr.trim().split('\n').pop() ?? `exit code ${result.code}`;
  return {
    ok: false,
    candidate,
    problem: 'failed',
    message: `The trainer check failed with "${candidate.path}": ${lastLine}`,
  };
}

/** The first candidate that has a working trainer, or every failure so the user sees what was tried. */
export async function findTrainerPython(
  lookup: PythonLookup,
): Promise<{ found?: Extract<PythonProbe, { ok: true }>; failures: Extract<PythonProbe, { ok: false }>[] }> {
  const failures: Extract<PythonProbe, { ok: false }>[] = [];
  for (const candidate of pythonCandidates(lookup)) {
    const probe = await probePython(candidate, lookup.extensionPath);
    if (probe.ok) return { found: probe, failures };
    failures.push(probe);
    // An explicit setting is the user's choice: do not silently fall back past a broken one.
    if (candidate.source === 'setting') break;
  }
  return { failures };
}
