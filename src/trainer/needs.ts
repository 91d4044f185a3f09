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
