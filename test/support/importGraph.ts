import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * The floors of src/, lowest first (docs/architecture.md draws them). A file may import its own unit and any unit on
 * a lower floor; an import to a higher floor, or sideways to another unit of the same floor, runs up the house.
 * A unit is a folder under src/ (a file's deepest listed folder; `<feature>/view` for every view folder) or one of
 * the files at src/'s top.
 */
export const FLOORS: readonly (readonly string[])[] = [
  ['commands.ts'],
  ['util'],
  ['protocol', 'settings'],
  ['trainer', 'slurm'],
  ['dataset', 'runs'],
  ['retrieval', 'training'],
  ['evaluation'],
  ['grading', 'inference', 'runComparison'],
  ['artifacts'],
  ['vscode'],
  ['trainer/view', 'artifacts/view'],
  ['dataset/view', 'runs/view'],
  ['training/view', 'retrieval/view', 'runComparison/view'],
  ['evaluation/view'],
  ['grading/view', 'inference/view'],
  ['extension.ts', 'cli.ts'],
];

/** file (relative to src/, `/`-separated) → the files of src/ it imports (type-only and re-exports included). */
export type ImportGraph = Map<string, string[]>;

function sourceFiles(dir: string, root: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full, root);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path.relative(root, full)] : [];
  });
}

function resolveImport(srcDir: string, from: string, specifier: string): string | null {
  const target = path.join(path.dirname(path.join(srcDir, from)), specifier);
  for (const candidate of [`${target}.ts`, path.join(target, 'index.ts')])
    if (existsSync(candidate)) return path.relative(srcDir, candidate).split(path.sep).join('/');
  return null; // a JSON file or anything else outside the TypeScript graph
}

/** Every relative import between the TypeScript files under srcDir. */
export function readImportGraph(srcDir: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(srcDir, srcDir)) {
    const info = ts.preProcessFile(readFileSync(path.join(srcDir, file), 'utf8'), true, true);
    const targets = info.importedFiles
      .map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveImport(srcDir, file, specifier))
      .filter((target): target is string => target !== null);
    graph.set(file.split(path.sep).join('/'), [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components of more than one file (or a file importing itself), each sorted. */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The unit a file belongs to: `<feature>/view` for a view folder, else its deepest folder named in FLOORS. */
export function unitOf(file: string): string {
  const parts = file.split('/');
  const view = parts.indexOf('view');
  if (view > 0) return parts.slice(0, view + 1).join('/');
  if (parts.length === 1) return file;
  const listed = new Set(FLOORS.flat());
  for (let depth = parts.length - 1; depth > 0; depth--) {
    const folder = parts.slice(0, depth).join('/');
    if (listed.has(folder)) return folder;
  }
  return parts.slice(0, -1).join('/');
}

/** The floor of a unit (0 = lowest), or undefined for a unit FLOORS does not place. */
export function floorOf(unit: string): number | undefined {
  const floor = FLOORS.findIndex((units) => units.includes(unit));
  return floor < 0 ? undefined : floor;
}

/** Imports that run to a higher floor or sideways to another unit of the same floor, as `from -> to`. */
export function upwardImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    const fromUnit = unitOf(from);
    for (const to of targets) {
      const toUnit = unitOf(to);
      if (toUnit === fromUnit) continue;
      const [a, b] = [floorOf(fromUnit), floorOf(toUnit)];
      if (a === undefined || b === undefined || b >= a) found.push(`${from} -> ${to}`);
    }
  }
  return found.sort();
}

/** Units of src/ that FLOORS does not place (each new folder must be given a floor). */
export function unplacedUnits(graph: ImportGraph): string[] {
  return [...new Set([...graph.keys()].map(unitOf))].filter((unit) => floorOf(unit) === undefined).sort();
}
