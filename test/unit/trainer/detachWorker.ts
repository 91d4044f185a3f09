// Plays a window that starts a trainer and closes at once: `node detachWorker.js <log file|-> <marker file>`.
import { TrainerCommand } from '../../../src/trainer/process';

async function main(): Promise<void> {
  const [logFile, marker] = process.argv.slice(2);
  const command = await TrainerCommand.start({
    python: 'python3',
    args: [
      '-c',
      'import sys, time\nfor i in range(8):\n    print("line", i, flush=True)\n    time.sleep(0.1)\n' +
        `open(${JSON.stringify(marker)}, "w").write("finished")\n`,
    ],
    env: process.env,
    graceMs: 1_000,
    ...(logFile === '-' ? {} : { logFile }),
  });
  command.detach();
  process.stdout.write(`${command.pid}\n`);
  // The "window" goes away while the trainer is still printing.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
