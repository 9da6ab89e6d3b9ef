#!/usr/bin/env bash
# The trainer resumes bit for bit: (a) 2 epochs straight == 1 epoch, stop, resume 1 epoch;
# (b) a run killed with SIGKILL mid-epoch, then resumed from what is on disk, finishes with the
# same weights as the uninterrupted run. Both draw the same curves.svg.
# Usage: trainer_resume.sh TRAINER WORKDIR
set -euo pipefail
trainer=$1
work=$2
rm -rf "$work" && mkdir -p "$work/data"
/usr/bin/python3 "$(dirname "$0")/make_tiny_data.py" "$work/data" 1200 50
common=(--data "$work/data" --threads 2 --batch-size 10 --seed 3)

"$trainer" "${common[@]}" --epochs 2 --out "$work/straight" > "$work/straight.log"

"$trainer" "${common[@]}" --epochs 1 --out "$work/split" > "$work/split1.log"
"$trainer" "${common[@]}" --epochs 2 --out "$work/split" --resume > "$work/split2.log"
grep -q "resumed .*epoch 2, 0 batches done" "$work/split2.log" || { echo "FAIL: did not resume at epoch 2"; cat "$work/split2.log"; exit 1; }
cmp "$work/straight/model.safetensors" "$work/split/model.safetensors" \
  || { echo "FAIL: 1 + 1 resumed epochs differ from 2 straight"; exit 1; }
cmp "$work/straight/curves.svg" "$work/split/curves.svg" \
  || { echo "FAIL: the resumed run's curves.svg differs from the uninterrupted run's"; exit 1; }
echo "ok: 2 epochs == 1 epoch + resume 1 epoch, bit for bit (weights and curves)"

# Kill mid-epoch as soon as the first mid-epoch checkpoint is on disk.
"$trainer" "${common[@]}" --epochs 2 --out "$work/killed" --checkpoint-every 5 > "$work/killed.log" &
pid=$!
for _ in $(seq 1 2000); do
  [ -f "$work/killed/train_state.safetensors" ] && break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ -f "$work/killed/train_state.safetensors" ] || { echo "FAIL: no checkpoint before the kill"; exit 1; }
if ls "$work/killed"/*.tmp.* >/dev/null 2>&1; then echo "note: a temporary file was left by the kill (ignored by readers)"; fi
"$trainer" "${common[@]}" --epochs 2 --out "$work/killed" --checkpoint-every 5 --resume > "$work/resumed.log"
grep -q "resumed .*epoch 1, [1-9][0-9]* batches done" "$work/resumed.log" \
  || { echo "FAIL: the kill did not land mid-epoch 1 (see $work/resumed.log)"; cat "$work/resumed.log"; exit 1; }
cmp "$work/straight/model.safetensors" "$work/killed/model.safetensors" \
  || { echo "FAIL: killed + resumed run differs from the uninterrupted one"; exit 1; }
echo "ok: SIGKILL mid-epoch, resume, same weights bit for bit ($(grep resumed "$work/resumed.log"))"
# The curves too: the points within the epochs before the kill come from the state.
cmp "$work/straight/curves.svg" "$work/killed/curves.svg" \
  || { echo "FAIL: killed + resumed run's curves.svg differs from the uninterrupted one's"; exit 1; }
echo "ok: the killed + resumed run's curves.svg is the uninterrupted run's"
echo "1 passed, 0 failed"
