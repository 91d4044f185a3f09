/**
 * What a trainer subcommand needs from the interpreter; without any of these packages it fails at once. Each
 * name is one `medqa_trainer doctor` reports (its PACKAGES), else the check could never pass: a unit test holds
 * the two lists together.
 */
export interface TrainerNeeds {
  /** "train", "evaluate": said in the message when the interpreter cannot. */
  action: string;
  packages: readonly string[];
}

export const TRAINING: TrainerNeeds = {
  action: 'train',
  packages: ['torch', 'transformers', 'peft', 'accelerate'],
};

export const EVALUATION: TrainerNeeds = {
  action: 'evaluate',
  // bm25s: every evaluation gets a retrieval baseline (and RAG evaluations retrieve).
  packages: ['torch', 'transformers', 'peft', 'sacrebleu', 'rouge-score', 'nltk', 'bm25s', 'PyStemmer'],
};

/** The distribution behind each `report_to` tracker (the HF Trainer imports it when the run starts). */
const TRACKER_PACKAGES: Readonly<Record<string, string>> = { tensorboard: 'tensorboard', mlflow: 'mlflow-skinny' };

/** What a training run that logs to these trackers (run.yaml `report_to`) needs. */
export function trainingNeeds(reportTo: readonly string[]): TrainerNeeds {
  const trackers = reportTo.filter((name) => name in TRACKER_PACKAGES);
  if (trackers.length === 0) return TRAINING;
  return {
    action: `train with report_to ${trackers.join(', ')}`,
    packages: [...TRAINING.packages, ...trackers.map((name) => TRACKER_PACKAGES[name])],
  };
}
