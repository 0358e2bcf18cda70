#!/usr/bin/env bash
# Training cost of the output layer at two vocabularies, before and after the fused sparse loss, side by side in one
# run: the body of TrainingRun.trainStep (pack, forward, loss, backward, clip, AdamW) on a GPT-2 4x128x4 memory with
# synthetic kNN rows, timed per step (wall and the training thread's CPU time; PyTorch uses that one thread), each
# configuration in its own JVM, alternating. The "before" build is any checkout whose trainer has the autograd loss
# (DistillationLoss.computeScored on scoredLogits), e.g. main at 7452337, built with `./memdec build`.
#   scripts/bench-vocab/run.sh BEFORE_CHECKOUT        (env: SEQ BATCH K WARM STEPS REPS)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AFTER_ROOT="$(cd "$HERE/../.." && pwd)"
BEFORE_ROOT="${1:?usage: run.sh BEFORE_CHECKOUT (a built checkout with the autograd loss)}"
source "$AFTER_ROOT/scripts/java-env.sh"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/before" "$WORK/after"
sed 's|@@LOSS@@|terms = DistillationLoss.computeScored(model.scoredLogits(batch.tokens(), batch.rows(), batch.keys()), batch, 0.5f); terms.totalValue(); c.backward(terms.total());|' \
  "$HERE/StepBench.java.in" > "$WORK/before/StepBench.java"
sed 's|@@LOSS@@|terms = DistillationLoss.computeFused(model.scoredHidden(batch.tokens(), batch.rows(), batch.keys()), model.outputWeight(), batch, 0.5f); terms.totalValue(); c.backward(terms.backward());|' \
  "$HERE/StepBench.java.in" > "$WORK/after/StepBench.java"
BEFORE="$BEFORE_ROOT/trainer/target/classes:$(cat "$BEFORE_ROOT/trainer/target/classpath.txt")"
AFTER="$AFTER_ROOT/trainer/target/classes:$(cat "$AFTER_ROOT/trainer/target/classpath.txt")"
SEQ=${SEQ:-128} BATCH=${BATCH:-8} K=${K:-1024} WARM=${WARM:-1} STEPS=${STEPS:-2} REPS=${REPS:-1}
echo "GPT-2 shape 4x128x4, seq $SEQ, batch $BATCH, k $K, beta 0.5, 1 PyTorch thread, $STEPS timed steps after $WARM warm-up"
for rep in $(seq 1 "$REPS"); do
  for vocab in 50257 151936; do
    for which in before after; do
      cp=$BEFORE; [ "$which" = after ] && cp=$AFTER
      OPT_OUT_TRACKING=true java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
        -cp "$cp" "$WORK/$which/StepBench.java" "$which" "$vocab" "$SEQ" "$BATCH" "$K" "$WARM" "$STEPS" 2>"$WORK/err.log" \
        || { echo "$which $vocab failed:"; tail -5 "$WORK/err.log"; }
    done
  done
done
