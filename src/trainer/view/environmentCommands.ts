import * as vscode from 'vscode';
import * as path from 'node:path';
import { Commands } from '../../commands';
import type { ExtensionServices } from '../../vscode/services';
import { setting } from '../../vscode/settings';
import { findTrainerPython, type TrainerDoctorReport } from '../pythonEnvironment';
import { managedVenvDir, pythonLookup } from './pythonLookup';

/** Check Python Environment (the trainer's doctor) and Set Up Python Environment (a managed venv). */
export function registerEnvironmentCommands(services: ExtensionServices): void {
  services.registerCommand(Commands.checkEnvironment, () => checkEnvironment(services));
  services.registerCommand(Commands.setupPython, () => setupPython(services));
}

/** Runs the trainer's doctor on the interpreter found, logs what it reports and says whether training can run. */
async function checkEnvironment(services: ExtensionServices): Promise<TrainerDoctorReport | undefined> {
  const { log } = services;
  if (!services.requireTrust('Checking the Python environment')) return undefined;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MedQA: checking the Python environment…' },
    async () => findTrainerPython(await pythonLookup(services)),
  );
  for (const failure of result.failures) log.warn(failure.message);
  if (!result.found) {
    const choice = await vscode.window.showErrorMessage(
      `MedQA: no Python with the trainer's packages was found. ${result.failures[0]?.message ?? ''}`,
      'Set Up Python Environment',
      'Open Settings',
    );
    if (choice === 'Set Up Python Environment') await vscode.commands.executeCommand(Commands.setupPython);
    if (choice === 'Open Settings')
      await vscode.commands.executeCommand('workbench.action.openSettings', 'medqa.pythonPath');
    return undefined;
  }
  const { report, candidate } = result.found;
  const missing = Object.entries(report.packages)
    .filter(([, version]) => version === null)
    .map(([name]) => name);
  const device = report.cuda.available
    ? `CUDA (${report.cuda.devices.join(', ')}): QLoRA available`
    : cpuTrainingText(report.packages.bitsandbytes ?? report.optional_packages?.bitsandbytes ?? null);
  log.info(`Python ${report.python} at ${report.executable} (${candidate.source}); ${device}`);
  log.info(
    `Packages: ${Object.entries(report.packages)
      .map(([n, v]) => `${n}=${v ?? 'missing'}`)
      .join(', ')}`,
  );
  const summary = `Python ${report.python} (${candidate.source}); ${device}.`;
  if (missing.length > 0) {
    void vscode.window
      .showWarningMessage(`MedQA: ${summary} Missing packages: ${missing.join(', ')}.`, 'Show Log')
      .then((c) => c && log.show());
  } else {
    void vscode.window
      .showInformationMessage(`MedQA: environment ready. ${summary}`, 'Show Log')
      .then((c) => c && log.show());
  }
  return report;
}

/** Creates the managed venv in global storage and installs the trainer's packages there, as visible tasks. */
async function setupPython(services: ExtensionServices): Promise<void> {
  const { context } = services;
  if (!services.requireTrust('Setting up Python')) return;
  const venv = managedVenvDir(context);
  const python =
    process.platform === 'win32'
      ? path.join(venv, 'Scripts', 'python.exe')
      : path.join(venv, 'bin', 'python');
  const requirements = path.join(context.extensionPath, 'trainer', 'requirements.txt');
  const base = setting('pythonPath') || 'python3';
  await runTask('Create venv', base, ['-m', 'venv', venv]);
  await runTask('Install trainer packages', python, ['-m', 'pip', 'install', '-r', requirements]);
  void vscode.window.showInformationMessage(`MedQA: Python environment ready in ${venv}.`);
}

/** Runs one program as a visible VS Code task (argument array, no shell) and waits for it. */
async function runTask(name: string, command: string, args: string[]): Promise<void> {
  const task = new vscode.Task(
    { type: 'medqa', step: name },
    vscode.TaskScope.Workspace,
    name,
    'MedQA',
    new vscode.ProcessExecution(command, args),
  );
  const execution = await vscode.tasks.executeTask(task);
  const exitCode = await new Promise<number | undefined>((resolve) => {
    const listener = vscode.tasks.onDidEndTaskProcess((event) => {
      if (event.execution === execution) {
        listener.dispose();
        resolve(event.exitCode);
      }
    });
  });
  if (exitCode !== 0)
    throw new Error(`${name} failed (exit code ${exitCode}). See the terminal for details.`);
}

/** What a CPU trains: fp32 LoRA by default; 4-bit QLoRA with `quantization: nf4` where bitsandbytes is. */
function cpuTrainingText(bitsandbytes: string | null): string {
  return bitsandbytes
    ? 'CPU only: LoRA on an fp32 base by default; quantization: nf4 trains QLoRA on a 4-bit NF4 base on the CPU too'
    : 'CPU only: LoRA on an fp32 base; QLoRA (quantization: nf4) needs the bitsandbytes package';
}
