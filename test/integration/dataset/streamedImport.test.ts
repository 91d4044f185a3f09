import * as assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { MedqaApi } from '../../../src/extension';

const EXTENSION_ID = 'medqa-studio.medqa-studio';

describe('dataset: big files import in the worker, and a file over the size limit is a problem', function () {
  this.timeout(120_000);
  let api: MedqaApi;
  let folder: string;
  const config = () => vscode.workspace.getConfiguration('medqa');

  before(async () => {
    const extension = vscode.extensions.getExtension<MedqaApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    folder = path.join(root, 'big-import-itest');
    mkdirSync(folder, { recursive: true });
    // 6 MiB of JSONL (over the 5 MiB limit set below) and ~4.6 MiB of CSV (over the 4 MiB read buffer: streamed).
    const record = JSON.stringify({ question: 'What is gout?', answer: 'A kind of arthritis. '.repeat(20) });
    writeFileSync(path.join(folder, 'big.jsonl'), `${record}\n`.repeat(Math.ceil((6 << 20) / record.length)));
    writeFileSync(
      path.join(folder, 'medium.csv'),
      `id,question,answer\n${Array.from({ length: 60_000 }, (_, i) => `${i},What is condition ${i}?,"It is, in short, condition ${i}; see a doctor."`).join('\n')}\n`,
    );
    await config().update('dataset.maxFileMegabytes', 5, vscode.ConfigurationTarget.Workspace);
    await api.dataset.session.whenLoaded();
  });

  after(async () => {
    await vscode.commands.executeCommand('medqa.dataset.removeSource', folder);
    await config().update('dataset.maxFileMegabytes', undefined, vscode.ConfigurationTarget.Workspace);
    rmSync(folder, { recursive: true, force: true });
  });

  it('imports the streamed CSV in full and lists the oversized JSONL with the limit and the setting', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const result = (await vscode.commands.executeCommand('medqa.dataset.import', folder)) as
      { pairs: number; problems: number } | undefined;
    delay.disable();
    assert.ok(result, 'the import returned nothing');
    assert.equal(result.pairs, 60_000);
    const problems = api.dataset.session.problems.filter((p) => p.source === folder);
    assert.deepEqual(
      problems.map((p) => [p.file, p.kind]),
      [['big.jsonl', 'too-large']],
    );
    assert.match(problems[0].message, /over the 5 MiB limit \(setting medqa\.dataset\.maxFileMegabytes\)/);
    // Parsing ran in the worker: the extension host's event loop kept turning (reported, not a timed assertion).
    console.log(
      `[dataset] big-file import: host event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms, max ${(delay.max / 1e6).toFixed(0)} ms`,
    );
  });
});
