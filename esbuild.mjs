// Bundles the extension host code, the CLI, every webview app and the test suites.
// `node esbuild.mjs` builds once; `--watch` rebuilds on change (used by the F5 task).
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

function filesUnder(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

const common = { bundle: true, sourcemap: true, minify: production, logLevel: 'warning' };

const nodeTargets = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // onnxruntime-node ships native binaries and must stay a real module beside the bundle (the .vsix carries it and
  // onnxruntime-common, which holds its backend registry).
  external: ['vscode', 'onnxruntime-node', 'onnxruntime-common'],
};

const builds = [
  {
    ...nodeTargets,
    entryPoints: {
      extension: 'src/extension.ts',
      cli: 'src/cli.ts',
      datasetWorker: 'src/dataset/view/datasetWorker.ts',
      inferenceWorker: 'src/inference/worker.ts',
    },
    outdir: 'out',
  },
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: Object.fromEntries(
      readdirSync('webviews', { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join('webviews', entry.name, 'main.ts')))
        .map((entry) => [entry.name, join('webviews', entry.name, 'main.ts')]),
    ),
    outdir: 'out/webviews',
  },
  {
    // Tests and benchmarks keep node_modules external so mocha, playwright and vscode resolve at run time.
    ...nodeTargets,
    packages: 'external',
    entryPoints: [
      ...filesUnder('test', '.ts').filter((file) => !file.endsWith('.d.ts')),
      ...filesUnder('bench', '.ts'),
    ],
    outdir: 'out',
    outbase: '.',
  },
];

function copyStaticAssets() {
  mkdirSync('out/media', { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) {
    cpSync(join('node_modules/@vscode/codicons/dist', file), join('out/media', file));
  }
}

copyStaticAssets();
if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('[esbuild] watching for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
