#!/usr/bin/env bash
# SmolLM2-135M-Instruct before and after a LoRA fine-tune on MedQuAD, on a CPU, reproducibly.
#
#   examples/medquad-smollm2/run.sh            # about 1 hour on 2 CPU cores (see README.md for measured times)
#
# 1. a leakage-free split of all of MedQuAD from ../shared (seed 42, 81/9/10), exported as chat JSONL;
# 2. seeded, qtype-stratified subsets: 1,000 training, 100 validation and a fixed 200-pair test slice;
# 3. `train` with the cpu-small preset on smollm2-135m-instruct (one epoch, 63 optimizer steps);
# 4. `evaluate` the base model and the adapter on the same 200 pairs (same decoding), then `compare`;
# 5. results/: metrics, predictions, comparison, the run's events and config, loss.png and results.md.
# The run folder (adapter included, no checkpoints) is copied to demo/.medqa/runs/ so the demo opens on it.
# Not part of ./studio test. Set MEDQA_EXAMPLE_WORK to keep the large intermediate files elsewhere.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED=${MEDQA_SHARED:-$(cd "$REPO/.." && pwd)/shared}
WORK=${MEDQA_EXAMPLE_WORK:-$HERE/work}
RUN_NAME=smollm2-medquad-cpu-small
RUN="$WORK/runs/$RUN_NAME"
RESULTS="$HERE/results"
MODEL=smollm2-135m-instruct
MAX_NEW_TOKENS=${MEDQA_EXAMPLE_MAX_NEW_TOKENS:-192}
REPETITION_PENALTY=1.15
BATCH=16
# train / validation / test sizes; smaller ones only to try the script quickly (the README numbers use the default)
read -r N_TRAIN N_VALIDATION N_TEST <<<"${MEDQA_EXAMPLE_SIZES:-1000 100 200}"

[ -d "$SHARED/data/MedQuAD" ] || { echo "MedQuAD not found at $SHARED/data/MedQuAD (set MEDQA_SHARED)" >&2; exit 1; }
"$REPO/studio" setup
(cd "$REPO" && node esbuild.mjs >/dev/null)
PY="$REPO/.venv/bin/python"
export PYTHONPATH="$REPO/trainer" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export NLTK_DATA=${NLTK_DATA:-$(ls -d "$HOME"/.cache/medqa-studio/tools/nltk_data-* 2>/dev/null | head -n 1)}
stamp() { date -u +%FT%TZ; }
started=$(date +%s)

echo "== 1. split and export all of MedQuAD" >&2
rm -rf "$WORK" && mkdir -p "$WORK"
node "$REPO/out/cli.js" data split "$SHARED/data/MedQuAD" --out "$WORK/split" --seed 42 --ratios 81,9,10
node "$REPO/out/cli.js" data export "$SHARED/data/MedQuAD" --split-file "$WORK/split/split.json" --out "$WORK/export"

echo "== 2. seeded subsets" >&2
"$PY" "$HERE/example.py" subsets --export "$WORK/export" --out "$WORK/data" --train "$N_TRAIN" --validation "$N_VALIDATION" --test "$N_TEST" --seed 42

echo "== 3. train (cpu-small preset)" >&2
mkdir -p "$RUN"
cat >"$RUN/run.yaml" <<EOF
preset: cpu-small
model_name_or_path: $MODEL
train_file: $WORK/data/train.jsonl
validation_file: $WORK/data/validation.jsonl
output_dir: $RUN
save_total_limit: 1
EOF
train_started=$(date +%s)
"$PY" -m medqa_trainer train --config "$RUN/run.yaml"
train_seconds=$(( $(date +%s) - train_started ))

echo "== 4. evaluate base and fine-tuned on the same $N_TEST pairs" >&2
EVAL="$RUN/evaluations/$(date -u +%Y%m%d-%H%M%S)"
created=$(stamp)
mkdir -p "$EVAL" && cp "$WORK/data/test.jsonl" "$EVAL/test.jsonl"  # the slice travels with its evaluation
eval_args=(--data "$WORK/data/test.jsonl" --max-new-tokens "$MAX_NEW_TOKENS" --batch-size "$BATCH"
  --repetition-penalty "$REPETITION_PENALTY")
eval_started=$(date +%s)
"$PY" -m medqa_trainer evaluate --model "$MODEL" --adapter "$RUN/adapter" --out "$EVAL/adapter" "${eval_args[@]}"
"$PY" -m medqa_trainer evaluate --model "$MODEL" --out "$EVAL/base" "${eval_args[@]}"
eval_seconds=$(( $(date +%s) - eval_started ))
"$PY" -m medqa_trainer compare --base "$EVAL/base" --candidate "$EVAL/adapter" --out "$EVAL"
"$PY" "$HERE/example.py" record --run "$RUN" --evaluation "$EVAL" --test "$EVAL/test.jsonl" \
  --max-new-tokens "$MAX_NEW_TOKENS" --batch-size "$BATCH" --repetition-penalty "$REPETITION_PENALTY" \
  --created-at "$created" --finished-at "$(stamp)"

echo "== 5. results" >&2
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
"$PY" "$HERE/example.py" report --run "$RUN" --evaluation "$EVAL" --out "$RESULTS"
cp "$RUN/config.yaml" "$RUN/events.jsonl" "$RESULTS/"
cp "$EVAL/comparison.json" "$EVAL/comparison.md" "$EVAL/test.jsonl" "$RESULTS/"
for side in base adapter; do
  mkdir -p "$RESULTS/$side" && cp "$EVAL/$side/metrics.json" "$EVAL/$side/predictions.jsonl" "$RESULTS/$side/"
done
cp "$WORK/data/manifest.json" "$RESULTS/subset-manifest.json"
# The trainer and evaluator record where they ran (this checkout, the model cache): shipped copies say it relative
# to the folder each file was written in, and name the model instead of its cache folder.
MODEL_DIR=$("$PY" -c 'import sys; from medqa_trainer.catalog import prepare_model_reference as p; print(p(sys.argv[1]))' "$MODEL")
relativize=("$PY" "$HERE/relativize.py" --root "$REPO" --root "$WORK" --replace "$MODEL_DIR=$MODEL")
"${relativize[@]}" --file "$RUN" "$RESULTS/config.yaml" --file "$RUN" "$RESULTS/events.jsonl" \
  --file "$EVAL" "$RESULTS/comparison.json" --file "$EVAL" "$RESULTS/comparison.md" \
  --file "$EVAL/base" "$RESULTS/base/metrics.json" --file "$EVAL/adapter" "$RESULTS/adapter/metrics.json" \
  --file "$WORK/data" "$RESULTS/subset-manifest.json"
total_seconds=$(( $(date +%s) - started ))
cat >"$RESULTS/timing.json" <<EOF
{"train_seconds": $train_seconds, "evaluate_seconds": $eval_seconds, "total_seconds": $total_seconds,
 "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)", "cores": $(nproc),
 "memory_gib": $(( $(grep MemTotal /proc/meminfo | awk '{print $2}') / 1048576 )), "finished_at": "$(stamp)"}
EOF

echo "== 6. the demo run (adapter and evaluation, no checkpoints)" >&2
DEMO_RUN="$REPO/demo/.medqa/runs/$RUN_NAME"
rm -rf "$DEMO_RUN" && mkdir -p "$DEMO_RUN"
cp -r "$RUN/adapter" "$RUN/evaluations" "$DEMO_RUN/"
cp "$RUN/config.yaml" "$RUN/events.jsonl" "$DEMO_RUN/"
# training_args.bin is the Trainer's pickled arguments (this machine's output_dir among them); nothing reads it.
rm -f "$DEMO_RUN/adapter/training_args.bin"
"${relativize[@]}" --tree "$RUN" "$DEMO_RUN"
echo "done in $((total_seconds / 60)) min: $RESULTS/results.md" >&2
