// Starts code-server (the VS Code workbench served by Node) for the integration and e2e suites.
// `./studio setup` installs it with Node 24 outside the clone; `./studio test` exports where (MEDQA_CODE_SERVER, MEDQA_NODE24_BIN).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CodeServerOptions {
  /** Installed extensions; a fresh empty folder when omitted. */
  extensionsDir?: string;
  /** Written to the user settings, on top of settings that keep the workbench quiet and offline. */
  userSettings?: Record<string, unknown>;
  /** Lets the test hooks of VS Code's smoke tests run (extensionTestsPath payload, codeAutomationExit). */
  smokeTestDriver?: boolean;
  /** Extra environment for the server and so for the extension host. */
  env?: NodeJS.ProcessEnv;
  port?: number;
  /** Print code-server's own output (it always goes to `<temp>/code-server.log`). */
  verbose?: boolean;
}

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly tempDir: string;
  readonly extensionsDir: string;
  readonly logFile: string;
  /** The workbench URL for a folder, with an optional smoke-test payload. */
  folderUrl(folder: string, payload?: [string, string][]): string;
  /** A `vscode-remote://` URI for a path on this machine, as the payload needs. */
  remoteUri(fsPath: string): string;
  /** Ends code-server's whole process group (it forks helpers that outlive their parent) and removes its temp dir. */
  stop(): Promise<void>;
}

const QUIET_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export function requireEnv(
  name: string,
  hint = 'run the tests through ./studio test, which sets it',
): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; ${hint}.`);
  return value;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Runs code-server's CLI once (e.g. `--install-extension`), with Node 24 first on PATH. */
export function codeServerCli(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(requireEnv('MEDQA_CODE_SERVER'), args, {
    env: { ...process.env, PATH: nodePath(), ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `code-server ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

function nodePath(): string {
  return `${requireEnv('MEDQA_NODE24_BIN')}${path.delimiter}${process.env.PATH ?? ''}`;
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const binary = requireEnv('MEDQA_CODE_SERVER');
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'medqa-code-server-'));
  const dirs = Object.fromEntries(
    ['user-data', 'extensions', 'xdg-config', 'xdg-cache', 'xdg-data'].map((name) => {
      const dir = path.join(tempDir, name);
      mkdirSync(dir, { recursive: true });
      return [name, dir];
    }),
  );
  const extensionsDir = options.extensionsDir ?? dirs['extensions'];
  const port = options.port ?? (await freePort());
  // Our own config file, so code-server never reads or writes ~/.config/code-server.
  const configFile = path.join(tempDir, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  // Machine-scoped settings (such as medqa.pythonPath) are read from the server's Machine settings, the rest from User.
  for (const scope of ['User', 'Machine']) {
    mkdirSync(path.join(dirs['user-data'], scope), { recursive: true });
    writeFileSync(
      path.join(dirs['user-data'], scope, 'settings.json'),
      JSON.stringify({ ...QUIET_SETTINGS, ...options.userSettings }, null, 2),
    );
  }

  const args = [
    '--config', configFile,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', dirs['user-data'],
    '--extensions-dir', extensionsDir,
    ...(options.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
  ]; // prettier-ignore
  const logFile = path.join(tempDir, 'code-server.log');
  const log = createWriteStream(logFile);
  const child = spawn(binary, args, {
    // Its own process group: stop() ends code-server and every helper it forked, by the group id.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...options.env,
      PATH: nodePath(),
      XDG_CONFIG_HOME: dirs['xdg-config'],
      XDG_CACHE_HOME: dirs['xdg-cache'],
      XDG_DATA_HOME: dirs['xdg-data'],
    },
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (options.verbose) process.stdout.write(`[code-server] ${chunk.toString()}`);
    });
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary}`);
  let exited = false;
  child.once('exit', () => (exited = true));
  liveGroups().add(pid);

  const url = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    url,
    port,
    pid,
    tempDir,
    extensionsDir,
    logFile,
    remoteUri: (fsPath) => `vscode-remote://127.0.0.1:${port}${fsPath}`,
    folderUrl(folder, payload) {
      const query = `folder=${encodeURIComponent(folder)}`;
      return `${url}/?${query}${payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
    },
    async stop() {
      await stopGroup(pid);
      liveGroups().delete(pid);
      log.end();
      rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };

  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`code-server exited during start-up:\n${tail(logFile)}`);
        const response = await fetch(`${url}/healthz`).catch(() => undefined);
        return response?.ok === true;
      },
      60_000,
      `code-server did not answer on ${url} within 60 s:\n${tail(logFile)}`,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Process groups of the code-servers this process started, shared by every bundled copy of this module. Whatever a
 * test forgot to stop is killed when the process exits or is interrupted (Ctrl-C, a CI timeout's SIGTERM).
 */
function liveGroups(): Set<number> {
  const key = Symbol.for('medqa.codeServer.groups');
  const global = globalThis as { [key: symbol]: Set<number> | undefined };
  let groups = global[key];
  if (!groups) {
    const created = new Set<number>();
    groups = global[key] = created;
    const killAll = () => created.forEach((pid) => killGroup(pid, 'SIGKILL'));
    process.once('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        killAll();
        process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
      });
    }
  }
  return groups;
}

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

async function stopGroup(pid: number): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!killGroup(pid, 0)) return;
  }
  killGroup(pid, 'SIGKILL');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  message: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(200);
  }
  throw new Error(message);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
