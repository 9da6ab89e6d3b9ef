#!/usr/bin/env bash
# The trainer under an MPI launcher (docs/distributed.md), with no option of its own for it:
# (a) 2 ranks train like 1 process with the same global batch (losses and PSNRs agree) and only
#     rank 0 prints and writes; (b) 3 ranks (unequal shards) likewise; (c) a rank killed with
#     SIGKILL ends the whole job in bounded time, and the last checkpoint is intact and resumes
#     on another number of ranks; (d) a rank that cannot read its data fails the job with its
#     own message, not a hang.
# Usage: trainer_mpi.sh TRAINER WORKDIR MPIEXEC [LAUNCHER FLAGS...]
set -euo pipefail
trainer=$1
work=$2
mpiexec=$3
shift 3
flags=("$@")
rm -rf "$work" && mkdir -p "$work/data"
/usr/bin/python3 "$(dirname "$0")/make_tiny_data.py" "$work/data" 400 50
common=(--data "$work/data" --batch-size 10 --seed 3 --threads 1)
fail() { echo "FAIL: $*"; exit 1; }

# Train loss and validation PSNR of every epoch agree: relative 1e-4 and 0.01 dB.
same_curves() {
  /usr/bin/python3 - "$1" "$2" <<'EOF' || fail "$1 and $2 differ"
import csv, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
assert len(a) == len(b) and a, f"{len(a)} against {len(b)} epochs"
for x, y in zip(a, b):
    la, lb = float(x["train_loss"]), float(y["train_loss"])
    pa, pb = float(x["val_psnr_pooled_db"]), float(y["val_psnr_pooled_db"])
    assert abs(la - lb) <= 1e-4 * lb, f"epoch {x['epoch']}: loss {la} against {lb}"
    assert abs(pa - pb) <= 0.01, f"epoch {x['epoch']}: PSNR {pa} against {pb}"
    print(f"  epoch {x['epoch']}: loss {la:.6f} / {lb:.6f}, PSNR {pa:.3f} / {pb:.3f} dB")
EOF
}

# (a) 1 process against 2 ranks, the same global batch of 10.
"$trainer" "${common[@]}" --epochs 2 --out "$work/one" > "$work/one.log"
"$mpiexec" -n 2 "${flags[@]}" "$trainer" "${common[@]}" --epochs 2 --out "$work/two" \
  > "$work/two.log"
[ "$(grep -c "Noise2Noise trainer" "$work/two.log")" -eq 1 ] \
  || fail "the banner is printed $(grep -c "Noise2Noise trainer" "$work/two.log") times, not by rank 0 alone"
grep -q "^ranks      2 MPI ranks x 1 thread" "$work/two.log" || fail "no ranks line in $work/two.log"
grep -q "gradient allreduce" "$work/two.log" || fail "no allreduce timing in $work/two.log"
[ "$(grep -c "^epoch 2/2  train loss" "$work/two.log")" -eq 1 ] || fail "epoch lines printed more than once"
for f in model.safetensors train_state.safetensors log.csv samples.png curves.svg; do
  [ -s "$work/two/$f" ] || fail "2 ranks wrote no $f"
done
echo "ok: 2 ranks x 1 thread train like 1 process (batch 10 = 5 + 5):"
same_curves "$work/two/log.csv" "$work/one/log.csv"

# (b) 3 ranks: shards of 3, 3 and 4.
"$mpiexec" -n 3 "${flags[@]}" "$trainer" "${common[@]}" --epochs 2 --out "$work/three" \
  > "$work/three.log"
echo "ok: 3 ranks train like 1 process (batch 10 = 3 + 3 + 4):"
same_curves "$work/three/log.csv" "$work/one/log.csv"

# (c) SIGKILL one rank once a mid-epoch checkpoint is on disk; the job must end within 60 s.
killed=(--model final --epochs 2 --checkpoint-every 4 --out "$work/killed")
"$mpiexec" -n 2 "${flags[@]}" "$trainer" "${common[@]}" "${killed[@]}" > "$work/killed.log" \
  2> "$work/killed.err" &
launcher=$!
for _ in $(seq 1 6000); do
  [ -f "$work/killed/train_state.safetensors" ] && break
  sleep 0.01
done
[ -f "$work/killed/train_state.safetensors" ] || fail "no checkpoint within 60 s"
victim=""
for pid in $(pgrep -P "$launcher"); do
  if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1\|PMIX_RANK=1"; then
    victim=$pid
  fi
done
[ -n "$victim" ] || fail "rank 1's process not found among the launcher's children"
kill -9 "$victim"
start=$(date +%s)
status=0
for _ in $(seq 1 600); do
  kill -0 "$launcher" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$launcher" 2>/dev/null; then
  kill -9 "$launcher" 2>/dev/null || true
  fail "the job still runs 60 s after rank 1 was killed"
fi
wait "$launcher" || status=$?
elapsed=$(($(date +%s) - start))
[ "$status" -ne 0 ] || fail "the launcher exited with status 0 after a rank was killed"
grep -qi "signal 9\|killed" "$work/killed.err" \
  || { cat "$work/killed.err"; fail "the launcher did not say a rank was killed"; }
echo "ok: rank 1 killed with SIGKILL: the job ended in ${elapsed} s with status $status:"
grep -i "signal 9\|killed" "$work/killed.err" | head -2 | sed 's/^/  /'
# The checkpoint is intact and resumes, on 3 ranks.
"$mpiexec" -n 3 "${flags[@]}" "$trainer" "${common[@]}" "${killed[@]}" --resume \
  > "$work/resumed.log" || { cat "$work/resumed.log"; fail "resuming on 3 ranks failed"; }
grep -q "^resumed    from .*epoch 1, [1-9][0-9]* batches done" "$work/resumed.log" \
  || { cat "$work/resumed.log"; fail "the kill did not land mid-epoch 1"; }
[ "$(tail -n +2 "$work/killed/log.csv" | wc -l)" -eq 2 ] || fail "the resumed run's log lacks epochs"
echo "ok: the checkpoint resumed on 3 ranks ($(grep "^resumed" "$work/resumed.log"))"

# (d) Rank 1 cannot read its data (a missing directory, through the launcher's multiple
# program syntax): the job fails with rank 1's message within 60 s, and rank 0 does not hang.
status=0
timeout 60 "$mpiexec" "${flags[@]}" -n 1 "$trainer" "${common[@]}" --epochs 1 --out "$work/bad" : \
  -n 1 "$trainer" --data "$work/no-such-data" --batch-size 10 --seed 3 --threads 1 --epochs 1 \
  --out "$work/bad" > "$work/bad.log" 2> "$work/bad.err" || status=$?
[ "$status" -ne 0 ] || fail "the job succeeded without rank 1's data"
[ "$status" -ne 124 ] || fail "the job hung (killed by timeout after 60 s)"
grep -q "error on rank 1 of 2: .*no-such-data.*does not exist" "$work/bad.err" \
  || { cat "$work/bad.err"; fail "rank 1's message is missing"; }
echo "ok: unreadable data on rank 1 fails the job (status $status):"
grep "error on rank 1" "$work/bad.err" | sed 's/^/  /'
echo "4 passed, 0 failed"
