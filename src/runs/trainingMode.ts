/**
 * How a run trained, as the views say it: QLoRA on a 4-bit NF4 base or LoRA on a full-precision one (from
 * run_started's environment), and the speed it measured (run_finished's tokens/s, else its logged steps' mean).
 */
import type { BasePrecision, RunStartedEvent } from '../protocol/trainer/events';
import { latestStep, type RunProgress } from './runState';

const PRECISION_TEXT: Record<BasePrecision, string> = {
  nf4: '4-bit NF4',
  bf16: 'bf16',
  fp16: 'fp16',
  fp32: 'fp32',
};

/** "QLoRA · 4-bit NF4 base" or "LoRA · fp32 base"; a run from before base_precision was recorded: "LoRA". */
export function trainingModeText(environment: RunStartedEvent['environment']): string {
  // Before base_precision, qlora: true always meant an NF4 base.
  const precision = environment.base_precision ?? (environment.qlora ? 'nf4' : undefined);
  const method = precision === 'nf4' ? 'QLoRA' : 'LoRA';
  return precision ? `${method} · ${PRECISION_TEXT[precision]} base` : method;
}

/** Training tokens/s over the run: the trainer's own figure once it finished, else the mean of the logged steps'. */
export function measuredTokensPerSecond(progress: RunProgress): number | undefined {
  if (typeof progress.meanTokensPerSecond === 'number') return progress.meanTokensPerSecond;
  const logged = progress.steps
    .map((s) => s.tokensPerSecond)
    .filter((tps): tps is number => typeof tps === 'number' && tps > 0);
  return logged.length ? logged.reduce((sum, tps) => sum + tps, 0) / logged.length : undefined;
}

/** "1,234 (run mean 1,100)": the last logged step's tokens/s and the run's; undefined before a step logged one. */
export function throughputText(progress: RunProgress): string | undefined {
  const last = latestStep(progress)?.tokensPerSecond;
  if (!last) return undefined;
  const mean = measuredTokensPerSecond(progress);
  const text = (value: number) => Math.round(value).toLocaleString('en-US');
  return mean ? `${text(last)} (run mean ${text(mean)})` : text(last);
}
