#!/usr/bin/env bash
# SmolLM2-135M-Instruct on MedQuAD with retrieval, on the same fixed 200-pair test slice as examples/medquad-smollm2.
#
#   examples/medquad-smollm2-rag/run.sh                    # every row; about 3 hours on 2 CPU cores
#   MEDQA_RAG_ROWS="retrieval base-rag" .../run.sh         # only some rows (the report says which ran)
#
# Rows (each a folder with metrics.json + predictions.jsonl, then one report with paired tests):
#   base closed-book, fine-tuned closed-book  the shipped example's predictions, re-scored for grounding
#   retrieval-only                            `baseline`: the top-1 retrieved answer, no model
#   base + retrieval                          `evaluate --retrieval-index` on the base model
#   fine-tuned-with-retrieval + retrieval     `train` with retrieval_index (cpu-small), then the same evaluate
# demo: the RAG run goes to demo/.medqa/runs/ (adapter, no checkpoints, no index) with one evaluation folder laid out
# as Evaluate Checkpoint writes a "RAG k=N" one: adapter/ = ft-rag, base/ = base-rag, retrieval/, both comparisons.
# The split is frozen (split.json, see freeze_split.py): the slice and its duplicate groups are never indexed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED=${MEDQA_SHARED:-$(cd "$REPO/.." && pwd)/shared}
WORK=${MEDQA_EXAMPLE_WORK:-$HERE/work}
CLOSED="$REPO/examples/medquad-smollm2/results"
RESULTS="$HERE/results"
MODEL=smollm2-135m-instruct
ROWS=${MEDQA_RAG_ROWS:-"closed retrieval base-rag train ft-rag demo"}
K=${MEDQA_RAG_K:-3}
CONTEXT_TOKENS=${MEDQA_RAG_CONTEXT_TOKENS:-384}
# The closed-book rows' decoding, so only the sources differ.
eval_args=(--max-new-tokens 192 --batch-size 16 --repetition-penalty 1.15 --k "$K" --retrieval-context-tokens "$CONTEXT_TOKENS")
wants() { [[ " $ROWS " == *" $1 "* ]]; }

[ -d "$SHARED/data/MedQuAD" ] || { echo "MedQuAD not found at $SHARED/data/MedQuAD (set MEDQA_SHARED)" >&2; exit 1; }
"$REPO/studio" setup
(cd "$REPO" && node esbuild.mjs >/dev/null)
PY="$REPO/.venv/bin/python"
export PYTHONPATH="$REPO/trainer" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export NLTK_DATA=${NLTK_DATA:-$(ls -d "$HOME"/.cache/medqa-studio/tools/nltk_data-* 2>/dev/null | head -n 1)}
mkdir -p "$WORK" "$RESULTS"

echo "== export all of MedQuAD with the frozen split; the fixed slice; the training index" >&2
node "$REPO/out/cli.js" data export "$SHARED/data/MedQuAD" --split-file "$HERE/split.json" --out "$WORK/export"
"$PY" - "$WORK/export/test.jsonl" "$CLOSED/test.jsonl" "$WORK/test.jsonl" <<'EOF'
import json, sys
export = {json.loads(l)["id"]: l for l in open(sys.argv[1], encoding="utf-8")}
ids = [json.loads(l)["id"] for l in open(sys.argv[2], encoding="utf-8")]
missing = [i for i in ids if i not in export]
assert not missing, f"slice pairs not in the frozen test split: {missing[:5]}"
open(sys.argv[3], "w", encoding="utf-8").writelines(export[i] for i in ids)
EOF
"$PY" -m medqa_trainer index build --data "$WORK/export" --splits train --out "$WORK/index"

if wants closed; then
  echo "== closed-book rows: the shipped predictions, re-scored (grounding measures)" >&2
  for side in base adapter; do
    "$PY" -m medqa_trainer score --predictions "$CLOSED/$side/predictions.jsonl" --out "$WORK/rows/closed-$side"
  done
fi
if wants retrieval; then
  echo "== retrieval-only" >&2
  "$PY" -m medqa_trainer baseline --index "$WORK/index" --data "$WORK/test.jsonl" --out "$WORK/rows/retrieval"
fi
if wants base-rag; then
  echo "== base + retrieval" >&2
  "$PY" -m medqa_trainer evaluate --model "$MODEL" --data "$WORK/test.jsonl" --out "$WORK/rows/base-rag" \
    --retrieval-index "$WORK/index" "${eval_args[@]}"
fi
RUN="$WORK/runs/smollm2-medquad-rag"
if wants train; then
  echo "== train with retrieved sources (cpu-small; 1,000 training and 100 validation pairs of the frozen split)" >&2
  "$PY" "$REPO/examples/medquad-smollm2/example.py" subsets --export "$WORK/export" --out "$WORK/data" \
    --train 1000 --validation 100 --test 1 --seed 42
  mkdir -p "$RUN"
  cat >"$RUN/run.yaml" <<EOF
preset: cpu-small
model_name_or_path: $MODEL
train_file: $WORK/data/train.jsonl
validation_file: $WORK/data/validation.jsonl
output_dir: $RUN
save_total_limit: 1
max_length: 1024
retrieval_index: $WORK/index
retrieval_k: $K
retrieval_context_tokens: $CONTEXT_TOKENS
EOF
  "$PY" -m medqa_trainer train --config "$RUN/run.yaml"
fi
if wants ft-rag; then
  echo "== fine-tuned-with-retrieval + retrieval" >&2
  "$PY" -m medqa_trainer evaluate --model "$MODEL" --adapter "$RUN/adapter" --data "$WORK/test.jsonl" \
    --out "$WORK/rows/ft-rag" --retrieval-index "$WORK/index" "${eval_args[@]}"
fi

echo "== report" >&2
rows=()
for pair in "base closed-book=closed-base" "fine-tuned closed-book=closed-adapter" "retrieval-only=retrieval" \
  "base + retrieval=base-rag" "fine-tuned-with-retrieval + retrieval=ft-rag"; do
  [ -f "$WORK/rows/${pair#*=}/metrics.json" ] && rows+=(--row "${pair%%=*}=$WORK/rows/${pair#*=}")
done
"$PY" "$HERE/report.py" "${rows[@]}" --target "fine-tuned-with-retrieval + retrieval" \
  --versus "fine-tuned closed-book" --versus "retrieval-only" --out "$WORK/report"
for row in "$WORK"/rows/*/; do
  name=$(basename "$row") && mkdir -p "$RESULTS/$name"
  cp "$row/metrics.json" "$row/predictions.jsonl" "$RESULTS/$name/"
done
cp "$WORK/report/results.md" "$RESULTS/results.md"
"$PY" "$REPO/examples/medquad-smollm2/relativize.py" --root "$REPO" --root "$WORK" \
  $(for f in "$RESULTS"/*/metrics.json; do printf -- '--file %s %s ' "$WORK/rows/$(basename "$(dirname "$f")")" "$f"; done)
echo "done: $RESULTS/results.md" >&2
if wants demo; then
  echo "== the demo's RAG run (adapter, events, one RAG evaluation; no checkpoints, no index)" >&2
  DEMO_RUN="$REPO/demo/.medqa/runs/smollm2-medquad-rag"
  STAMP=$(date -u -r "$WORK/rows/ft-rag/metrics.json" +%Y%m%d-%H%M%S)
  EVAL="$RUN/evaluations/$STAMP"
  rm -rf "$RUN/evaluations" && mkdir -p "$EVAL"
  for pair in adapter=ft-rag base=base-rag retrieval=retrieval; do
    mkdir -p "$EVAL/${pair%%=*}"
    # The baseline's events name the folder it first ran in; nothing reads them from an evaluation folder.
    for file in events.jsonl metrics.json predictions.jsonl; do
      [ "$file/${pair%%=*}" = events.jsonl/retrieval ] || cp "$WORK/rows/${pair#*=}/$file" "$EVAL/${pair%%=*}/"
    done
  done
  cp "$WORK/test.jsonl" "$EVAL/test.jsonl"
  "$PY" -m medqa_trainer compare --base "$EVAL/base" --candidate "$EVAL/adapter" --out "$EVAL"
  "$PY" -m medqa_trainer compare --base "$EVAL/retrieval" --candidate "$EVAL/adapter" --out "$EVAL/versus-retrieval"
  "$PY" "$HERE/evaluation_record.py" --evaluation "$EVAL" --run "$RUN" --model "$MODEL" --k "$K" \
    --index "$WORK/index" --train-data "$WORK/data/train.jsonl"
  rm -rf "$DEMO_RUN" && mkdir -p "$DEMO_RUN"
  cp -r "$RUN/adapter" "$RUN/evaluations" "$DEMO_RUN/"
  cp "$RUN/config.yaml" "$RUN/events.jsonl" "$DEMO_RUN/"
  # training_args.bin is the Trainer's pickled arguments (this machine's output_dir among them); nothing reads it.
  rm -f "$DEMO_RUN/adapter/training_args.bin"
  MODEL_DIR=$("$PY" -c 'import sys; from medqa_trainer.catalog import prepare_model_reference as p; print(p(sys.argv[1]))' "$MODEL")
  "$PY" "$REPO/examples/medquad-smollm2/relativize.py" --root "$REPO" --root "$WORK" --replace "$MODEL_DIR=$MODEL" \
    --tree "$RUN" "$DEMO_RUN"
fi
