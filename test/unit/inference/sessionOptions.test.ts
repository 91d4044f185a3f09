import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  generationSessionOptions,
  otherProcessesBusyCores,
  spinningPays,
} from '../../../src/inference/sessionOptions';

describe('generation session options', function () {
  this.timeout(30_000);

  it('threads spin only while other processes keep under half a core busy', () => {
    assert.equal(spinningPays(0), true);
    assert.equal(spinningPays(0.3), true);
    assert.equal(spinningPays(0.5), false);
    assert.equal(spinningPays(1.9), false);
  });

  it('hands the choice to onnxruntime as its session config entry', () => {
    const entry = (spin: boolean) =>
      (generationSessionOptions(spin).extra as { session: { intra_op: { allow_spinning: string } } }).session
        .intra_op.allow_spinning;
    assert.equal(entry(true), '1');
    assert.equal(entry(false), '0');
  });

  it("sees another process's busy core, and not this process's own work", async () => {
    const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const withOther = await otherProcessesBusyCores(500);
      assert.ok(withOther >= 0.6, `a spinning child process counted as ${withOther.toFixed(2)} cores`);
    } finally {
      // Ours, ended by its PID.
      const exited = new Promise((resolve) => busy.once('exit', resolve));
      busy.kill('SIGKILL');
      await exited;
    }
    // This process busy on its own thread for the whole sample: not counted as another process.
    const sample = otherProcessesBusyCores(500);
    const until = performance.now() + 450;
    while (performance.now() < until) Math.sqrt(Math.random());
    const own = await sample;
    assert.ok(own < 0.6, `this process's own work counted as ${own.toFixed(2)} other cores`);
  });
});
