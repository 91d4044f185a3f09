/**
 * Benchmark (a): import all of MedQuAD. Target: < 2 s, and ≥ 3× faster than a Python xml.etree loop that keeps the
 * same fields (bench/medquad_etree.py), both measured in this run. Reports the first (cold) run and the median of
 * the following runs for us; the Python loop time excludes interpreter start-up.
 */
import { importDataset } from '../src/dataset/import';
import { median, report, requireShared, runIfMain, runPython, seconds } from './support';

interface PythonResult {
  seconds: number;
  pairs: number;
  answered: number;
}

export async function benchImport(runs = 5): Promise<boolean> {
  const root = requireShared('data/MedQuAD');
  const ours: number[] = [];
  let pairs = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await importDataset(root);
    ours.push(performance.now() - started);
    pairs = result.pairs.length;
  }
  const reference: number[] = [];
  let referencePairs = 0;
  for (let i = 0; i < runs; i++) {
    const result = runPython<PythonResult>('medquad_etree.py', [root]);
    reference.push(result.seconds * 1000);
    referencePairs = result.pairs;
  }
  const cold = ours[0];
  const warm = median(ours.slice(1));
  const ref = median(reference);
  const ratio = ref / warm;
  return report(
    'import MedQuAD',
    `${pairs} pairs; ours ${seconds(warm)} median (first run ${seconds(cold)}), Python xml.etree ${seconds(ref)} ` +
      `median (${referencePairs} <QAPair>s) → ${ratio.toFixed(2)}× (target ≥ 3×; cold ${(ref / cold).toFixed(2)}×), ` +
      `target < 2 s: ${cold < 2000 ? 'yes' : 'no'}`,
    ratio >= 3 && cold < 2000 && pairs === 47_457,
  );
}

runIfMain('import', () => benchImport());
