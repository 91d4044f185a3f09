import * as assert from 'node:assert/strict';
import { exportArgs, type ExportJob } from '../../../src/inference/view/exportOnnx';

describe('ONNX export: the exporter arguments of each job', () => {
  const fp32: ExportJob = {
    label: 'checkpoint-3',
    model: 'smollm2',
    adapter: '/runs/r/checkpoint-3',
    out: '/w/c3',
  };

  it('exports the model with its adapter for fp32, and quantises the kept fp32 export for int8/int4', () => {
    const tail = (args: string[]) => args.slice(args.indexOf('export-onnx'));
    assert.deepEqual(tail(exportArgs(fp32, false)), [
      'export-onnx',
      '--model',
      'smollm2',
      '--adapter',
      '/runs/r/checkpoint-3',
      '--out',
      '/w/c3',
    ]);
    const int4: ExportJob = {
      ...fp32,
      out: '/w/c3-int4',
      quantize: { precision: 'int4', fromExport: '/w/c3' },
    };
    // The model and adapter come from the fp32 export's manifest: the exporter refuses them beside --from-export.
    assert.deepEqual(tail(exportArgs(int4, true)), [
      'export-onnx',
      '--from-export',
      '/w/c3',
      '--quantize',
      'int4',
      '--out',
      '/w/c3-int4',
      '--force',
    ]);
  });
});
