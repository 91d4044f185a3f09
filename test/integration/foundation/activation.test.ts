import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MedqaApi } from '../../../src/extension';
import type { TrainerDoctorReport } from '../../../src/trainer/pythonEnvironment';

const EXTENSION_ID = 'medqa-studio.medqa-studio';
const VIEW_IDS = ['medqa.qaPairs', 'medqa.runs', 'medqa.checkpoints'];

interface Manifest {
  contributes: { commands: { command: string }[]; views: Record<string, { id: string; name: string }[]> };
  capabilities: {
    untrustedWorkspaces: { supported: boolean | 'limited'; restrictedConfigurations?: string[] };
  };
}

function medqaExtension(): vscode.Extension<MedqaApi> {
  const extension = vscode.extensions.getExtension<MedqaApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded in the extension host`);
  return extension;
}

describe('foundation: the extension in a real VS Code', () => {
  it('activates and reports its activation time', async () => {
    const api = await medqaExtension().activate();
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs > 0 && api.activationMs < 5_000, `activation took ${api.activationMs} ms`);
    console.log(`[foundation] activationMs=${api.activationMs.toFixed(1)}`);
  });

  it('registers every command declared in package.json', async () => {
    await medqaExtension().activate();
    const manifest = medqaExtension().packageJSON as Manifest;
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `declared but not registered: ${missing.join(', ')}`);
  });

  it('contributes the three MedQA Studio views, and each can be focused', async () => {
    const manifest = medqaExtension().packageJSON as Manifest;
    assert.deepEqual(
      manifest.contributes.views.medqa.map((view) => view.id),
      VIEW_IDS,
    );
    for (const id of VIEW_IDS) {
      // VS Code generates `<view>.focus` for every registered view; it throws for an unknown one.
      await vscode.commands.executeCommand(`${id}.focus`);
    }
  });

  it('declares limited support for untrusted workspaces and restricts the Python setting', () => {
    const { untrustedWorkspaces } = (medqaExtension().packageJSON as Manifest).capabilities;
    assert.equal(untrustedWorkspaces.supported, 'limited');
    assert.ok(untrustedWorkspaces.restrictedConfigurations?.includes('medqa.pythonPath'));
  });

  it('gets the test environment from the harness', () => {
    const tinyModel = process.env.MEDQA_TEST_TINY_MODEL;
    assert.ok(tinyModel, 'MEDQA_TEST_TINY_MODEL is not set in the extension host');
    assert.ok(existsSync(path.join(tinyModel, 'config.json')), `${tinyModel} holds no model`);
    assert.ok(vscode.workspace.isTrusted, 'the test workspace should be trusted');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder && existsSync(folder), 'a workspace folder should be open');
  });

  it('checks the environment with the configured Python and finds the trainer packages', async function () {
    this.timeout(120_000);
    const configured = vscode.workspace.getConfiguration('medqa').get<string>('pythonPath');
    assert.ok(configured, 'medqa.pythonPath is not set in the test user settings');
    const report = await vscode.commands.executeCommand<TrainerDoctorReport | undefined>(
      'medqa.checkEnvironment',
    );
    assert.ok(report, 'medqa.checkEnvironment returned no report (see the MedQA Studio log)');
    assert.equal(path.resolve(report.executable), path.resolve(configured));
    assert.match(report.packages.torch ?? '', /^2\.13\.0(\+cpu)?$/, 'torch should be the pinned 2.13.0');
    for (const [name, version] of Object.entries(report.packages)) assert.ok(version, `${name} is missing`);
  });
});
