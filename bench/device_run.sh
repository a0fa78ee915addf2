#!/usr/bin/env bash
# Runs on the GPU machine (the device tool), over binaries built here and carried in .carry/:
#   .carry/kconv_gpu_tests, .carry/kconv-bench, .carry/kconv-tune, .carry/cubins/*.cubin, .carry/libkconv.so and
#   .carry/starting_triton_kernel.py (copied from ../shared/reference)
# Checks the SASS, runs the GPU suite, times every config at N = 256, 32 and 1 (and the PTX path), runs
# kconv-tune (micro and full) at N = 256 and 1, and
# compares kconv with cuDNN and the Triton start on identical tensors (compare_torch.py). Logs go to
# $OUT; a short table is printed last.
set -uo pipefail
out=${OUT:-/tmp/kconv-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv | tee "$out/gpu.txt"

{
  for c in .carry/cubins/*.sm_90*.cubin; do
    sass=$(cuobjdump -sass "$c")
    printf '%s HMMA=%s HGMMA=%s LDGSTS=%s LDL/STL=%s\n' "$(basename "$c")" "$(grep -c ' HMMA' <<<"$sass")" \
      "$(grep -c HGMMA <<<"$sass")" "$(grep -c LDGSTS <<<"$sass")" "$(grep -cE 'LDL|STL' <<<"$sass")"
  done
} > "$out/sass.txt"

timeout 400 .carry/kconv_gpu_tests > "$out/gpu_tests.log" 2>&1
echo "gpu tests exit code: $?" | tee -a "$out/gpu_tests.log"
for n in 256 32 1; do
  .carry/kconv-bench --n "$n" > "$out/bench_n$n.log" 2>&1
done
KCONV_FORCE_PTX=1 .carry/kconv-bench --n 256 > "$out/bench_ptx_n256.log" 2>&1
# N = 1 from a cold L2 as well (a 256 MB write before every run): without it, runs start warm and the
# host's launch shows through at ~10 us.
.carry/kconv-bench --n 1 --flush > "$out/bench_flush_n1.log" 2>&1
# The autotuner (issue 4): micro-tuning and the full search at N = 256 and 1, each from the heuristic's
# choice (its own cache file), then the cache files.
for n in 256 1; do
  for mode in micro full; do
    timeout 120 .carry/kconv-tune --n "$n" --mode "$mode" --cache "$out/tuning_${mode}_n$n.cache" > "$out/tune_${mode}_n$n.log" 2>&1
  done
done
PYTHONUNBUFFERED=1 python3 bench/compare_torch.py --lib .carry/libkconv.so --triton .carry/starting_triton_kernel.py \
  > "$out/compare_torch.log" 2>&1

echo; grep -E "test cases|assertions|exit code" "$out/gpu_tests.log"
for f in "$out"/bench_*.log; do echo "== $(basename "$f")"; grep -E "choice|fastest" "$f"; done
for f in "$out"/tune_*.log; do echo "== $(basename "$f")"; grep -E "<- |^winner|^why" "$f"; done
tail -6 "$out/compare_torch.log"
# The device tool returns a few files only: one archive of every log.
(cd "$out" && tar czf logs.tar.gz --remove-files ./*.log ./*.txt ./*.cache ./*.lock 2>/dev/null)
