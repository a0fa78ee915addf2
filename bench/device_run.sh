#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs on the GPU machine (the device tool), over binaries built here and carried in .carry/:
#   .carry/kconv_gpu_tests, .carry/kconv-bench, .carry/kconv-tune, .carry/cubins/*.cubin, .carry/libkconv.so and
#   .carry/starting_triton_kernel.py (copied from ../shared/reference by bench/prepare_carry.sh).
# Usage: bench/device_run.sh [stage...]; the stages, all by default, in this order:
#   sass       HMMA/HGMMA/LDGSTS/local-memory counts of the sm_90 cubins
#   tests      the GPU suite
#   bench      every config at N = 256, 32 and 1 with --flush (a cold L2 before every run), and the PTX path
#   tune       kconv-tune, micro and full, at N = 256 and 1, each from the heuristic's choice
#   racecheck  compute-sanitizer racecheck of the Hopper stem kernel's N = 256 and N = 1 configs at N = 2
#   sanitize   compute-sanitizer memcheck, racecheck, synccheck and initcheck over every config of every family
#              on small stride-4 shapes (left padding 2 and 3: both band-copy paths and two shifts)
#   ab         same-run A/B against .carry/baseline/kconv-bench (the previous build), AlexNet N = 256, 32, 1
#   compare    kconv against cuDNN and the Triton start on identical tensors (bench/compare_torch.py)
#   pairrows   (not in the default list; needs CARRY_LIBRARY=1) the Hopper stem family's pair-row kernels
#              (16-bit NCHW, wgmma k16; KCONV_PAIR_ROWS: 0 off, 1 producers copy, 2 tensor copy, the default):
#              their GPU-suite case, memcheck and racecheck of compare_torch at N = 2, then compare_torch in
#              fp16 and bf16 NCHW each way in one run, and the stems at N = 64 with the default
#   writeab    (not in the default list; needs BASELINE= in prepare_carry) the 16-bit NCHW write loop, baseline
#              against this build in alternating rounds (kconv-bench, the choice's config): AlexNet fp16, bf16, fp32
#              TF32 and 3xTF32 at N = 256, 32, 1, and the fp16 stems at N = 64 (ConvNeXt, Swin, ResNet, MobileNet, VGG); BASELINE_ENV
#              (e.g. KCONV_CHANNELS_AS_M=0) is set for the baseline's runs only; WRITEAB_DTYPES narrows the types
#              (default "fp16 bf16 fp32 3xtf32")
#   bulkab     (not in the default list) how 16-bit NCHW tiles staged in the type are written (KCONV_BULK_WRITE: 0 the
#              lanes' stores, 1 the consumers' bulk copies), same build, alternating
#              rounds over BULKAB_MODES (default "0 1"): AlexNet (N = 256, 32, 1) and the 16-bit NCHW stems at N = 64
#              on their configs (bench), memcheck and racecheck at N = 2 with BULKAB_SANITIZE_MODE (default 1;
#              sanitize), then the GPU suite's 16-bit, pair-row, every-mode and special-value cases in each of
#              BULKAB_TEST_MODES (default "1 0"; tests); EXPERIMENT_STEPS picks the steps (default: bench sanitize
#              tests), BULKAB_TEST_SECONDS caps each tests run (default 200)
#   turns      (not in the default list; BASELINE= in prepare_carry adds the baseline's side) ping-pong consumers
#              and resident weights (the thirty-fourth session made resident weights the default, the thirty-fifth
#              ping-pong at strides of 4 and more): memcheck and racecheck at N = 2, both on, of AlexNet fp16 with
#              ReLU and of a 54-row AlexNet (a last tile whose second half holds no row) (sanitize), then the
#              configs bulkab times (AlexNet fp16 at N = 256, 32, 1 and 54 rows, bf16, the fp16 stems at N = 64):
#              the baseline, then this build with both off, resident weights only, both, and its defaults, in
#              alternating rounds (bench), then the GPU suite's 16-bit, pair-row, every-mode and special-value
#              cases with both on (tests); EXPERIMENT_STEPS picks the steps (default: sanitize bench tests),
#              TURNS_ROUNDS the rounds (default "1 2"), TURNS_TEST_SECONDS caps the tests (default 240)
#   intype     (not in the default list) the 16-bit NCHW staging in the type (stem_tile_in_type.cuh): memcheck and racecheck at
#              N = 2 of AlexNet fp16 on k3x5 and the whole-tile ring k3x9 and of ResNet's 7x7/2 fp16 (sanitize), then
#              AlexNet (N = 256, 32, 1) and the fp16 stems at N = 64 on their default configs (and AlexNet on k3x9),
#              against .carry/baseline/kconv-bench where BASELINE= gave one, in alternating rounds (bench), then
#              the GPU suite's 16-bit offset, pair-row, every-mode and special-value cases (tests; INTYPE_TESTS and
#              INTYPE_TEST_SECONDS narrow them); EXPERIMENT_STEPS picks the steps (default: tests sanitize bench)
#   wgmma3x    (not in the default list; needs CARRY_LIBRARY=1) the same for the split (wgmma) 3xTF32 configs
#              (KCONV_WGMMA_3XTF32: 0 off, 1 the default), in fp32 NCHW 3xTF32
#   nhwc3x     (not in the default list; needs CARRY_LIBRARY=1) the split configs in fp32 NHWC 3xTF32
#              (KCONV_WGMMA_3XTF32: 0 off, which sends it to stem_ffma; 1 the default), as wgmma3x, on ConvNeXt's
#              4x4/4 for kconv-bench
#   ffma3x3    (not in the default list; needs CARRY_LIBRARY=1) the FFMA stem family's 3x3 and patchify configs,
#              its candidate included: bench/time_configs.py of its configs for MobileNet's 3x3/2, VGG's 3x3/1 and the 4x4/4
#              patchifies at N = 64 in NCHW and NHWC, beside kconv's choice, and compare_torch's stems run of the
#              four (kconv's choice against cuDNN FP32)
#   im2colio   (not in the default list; needs CARRY_LIBRARY=1) the im2col family's io=1 configs (fp16/bf16
#              and NHWC on wgmma over gathered patches): the mode tests (every config, every mode), memcheck of
#              kconv-bench over them in the six type and layout modes (ViT-B/16 at N = 2), bench/time_configs.py
#              of the family's configs in each mode on ViT, ResNet, MobileNet and VGG at N = 64 beside kconv's
#              choice, and compare_torch's run of those stems in the
#              same modes (cuDNN's side); EXPERIMENT_STEPS splits it (e.g. "tests bench", then "sanitize compare")
#   modes      (not in the default list; needs CARRY_LIBRARY=1) the defaults in every mode: memcheck of the FFMA
#              stem family's 3x3 and patchify defaults in FP32 at N = 2, then compare_torch in every type, layout
#              and math mode on the stems (N = 64) and on AlexNet (N = 256, 32, 1)
#   widenraw   (not in the default list; needs CARRY_LIBRARY=1) the Hopper stem family's stride-2 and stride-1
#              defaults in 16 bits and NHWC (bands by a tensor copy of raw rows, widened or paired by the producers):
#              the every-mode case (every config; step tests), the 16-bit NCHW case with KCONV_PAIR_ROWS=1 and 0
#              (tests16), memcheck of each in the five 16-bit and NHWC modes and racecheck in fp16 NCHW and NHWC at
#              N = 2 (sanitize), bench/time_configs.py of the family's configs beside kconv's choice, fp16 NCHW also
#              widened (bench; ResNet, MobileNet, VGG at N = 64), and compare_torch of each stem on its config
#              against cuDNN in the same modes (compare); EXPERIMENT_STEPS picks the steps (default: tests sanitize
#              bench compare)
#   deepring   (not in the default list; needs CARRY_LIBRARY=1) the Hopper stem family's deep weight rings
#              for pair-row bands (m256n96_w8_k3x5, m192n96_w12_k3x8): memcheck and racecheck in fp16
#              NCHW at N = 2, ncu (throughputs, warp stalls) of k3x2 and k3x5 in fp16 at N = 256, then
#              bench/time_configs.py of the family's configs on AlexNet fp16 and bf16 NCHW, fp16 and fp32 NHWC, fp32
#              NCHW at N = 256 and 32 beside kconv's choice (widenraw's every-mode case checks them)
#   nhwck16    (not in the default list; CARRY_LIBRARY=1 for compare) 16-bit NHWC: pair rows at stride 4 (wgmma k16 in
#              NHWC's planes, families/stem_common/nhwc_pair_rows.h; KCONV_PAIR_ROWS: 0 widened, as before; 1 the
#              producers copy; 2 a tensor copy of raw rows, the default) and the bulk write (a tile staged in the type
#              as its output, one bulk copy; KCONV_NHWC_BULK=0 off): memcheck and racecheck of AlexNet fp16 NHWC with
#              ReLU at N = 2 on four configs each copy way (racecheck on two) and of ResNet's 7x7/2 in bf16 NHWC
#              (sanitize), kconv-bench of every Hopper stem config on AlexNet (N = 256, 32, 1) and the stems (N = 64)
#              in fp16 NHWC (bf16 at N = 256): main's path, pair rows without the bulk write, pair rows by the
#              producers, and the defaults, alternating rounds, with fp16 NCHW as the control (bench), the GPU
#              suite's every-mode, pair-row, 16-bit and special-value cases (tests), and compare_torch in 16-bit
#              NHWC and NCHW (compare); EXPERIMENT_STEPS picks the steps (default: sanitize bench tests compare)
#   nhwcverify (not in the default list; needs CARRY_LIBRARY=1) the short check of 16-bit NHWC's pair rows and bulk
#              write after the ping-pong fix: memcheck of ConvNeXt fp16 NHWC at N = 2 over every Hopper stem config
#              (the n64 configs take two channel groups: the fp32 staging) and of AlexNet fp16 NHWC with ReLU on
#              k3x5, racecheck of the latter, kconv-bench of every config on AlexNet (N = 256), ConvNeXt and Swin (N =
#              64) in fp16 NHWC, main's path (KCONV_PAIR_ROWS=0 KCONV_NHWC_BULK=0) against the defaults, compare_torch
#              of AlexNet (N = 256, 32, 1) and the stems in fp16 NHWC against cuDNN, then the GPU suite's 16-bit,
#              pair-row, every-mode and special-value cases in the time left (NHWCVERIFY_TEST_SECONDS, default 200)
#   multigpu   (not in the default list; needs CARRY_LIBRARY=1 and, for its point, 2+ GPUs: nvidia-h200-x2)
#              the gpu.multi_gpu.* cases (10,000 calls), memcheck on a 160-call run of the threaded case, the
#              Python cuda:1 test and bench/multi_gpu_throughput.py; on one GPU the cases skip, so they also
#              run over two contexts of device 0 (KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE=1)
#   nhwccheck  (not in the default list; needs CARRY_LIBRARY=1) the mode cases of the GPU suite with the async
#              band copies (KCONV_NHWC_BAND_COPY=async), then compare_torch in fp32 NHWC (TF32, 3xTF32) with KCONV_NHWC_BAND_COPY=tensor and
#              async: AlexNet at N = 256, 32, 1 and the stride-4 stems at N = 64
#   nhwcquick  (not in the default list) the short form of nhwcprof and nhwcsan: kconv-bench of the 12-warp
#              configs at N = 256 in fp32 NHWC each copy way (TF32; 3xTF32 on k3x3_x3) and NCHW, memcheck and
#              racecheck of the async copies at 40x300, and ncu's stalls of k5x5 each way
#   nhwcsan    (not in the default list) fp32 NHWC bands at stride 4 by asynchronous copies (KCONV_NHWC_BAND_COPY=
#              async, an experiment) and by tensor copies (the default): memcheck and racecheck on rows past 64 16-byte pieces
#              (40x300 and 24x600, N = 2; 3xTF32 on the split configs, TF32 on k5x5)
#   nhwcab     (not in the default list; needs BASELINE= in prepare_carry) the NHWC async band copies, baseline
#              against this build in alternating rounds: AlexNet N = 256 (TF32 k5x5, 3xTF32 k3x3_x3) and the 4x4/4
#              patchifies at N = 64 (every Hopper config, each copy way), then memcheck and racecheck at 40x300
#   nhwcab2    (not in the default list; needs BASELINE=) the five band warps on the 8-warp n64 and 4-warp configs:
#              Swin and ConvNeXt on m256n64_w8_k3x2 (N = 64), AlexNet N = 1 on the w4 configs, N = 256 on k5x5,
#              each copy way, alternating rounds; memcheck and racecheck of those configs at 40x300
#   nhwctests  (not in the default list) the GPU suite's every-mode, NHWC 3xTF32 and 1e-4 cases
#   nhwcmodes  (not in the default list) compare_torch of AlexNet in fp32 NHWC and NCHW (TF32, 3xTF32; N = 256, 32, 1) and the stride-4 stems in fp32 NHWC
#   nhwcgap    (not in the default list) what separates fp32 NHWC TF32 from NCHW on AlexNet N = 256: kconv-bench
#              of the Hopper stem configs in NHWC (the default copy way) and NCHW, then ncu --set full of k5x5
#              each layout, with the raw stall metrics and the per-instruction SASS samples of each
#   im2col3x   (not in the default list; needs CARRY_LIBRARY=1) fp32 3xTF32 on the im2col family's split configs
#              and strict FP32 on its ffma configs: the GPU suite's every-mode and special-value cases, memcheck
#              and racecheck of k4x3_x3, the ffma config and n192 in TF32 (a small ViT and a stride-3 7x7, K = 100, with
#              padding, each layout), kconv-bench of ViT at N = 64 (3xTF32 on the split configs and the implicit
#              GEMM's fastest, FP32 on the ffma configs and the FFMA implicit GEMM's, TF32 on the family's), and
#              compare_torch of ViT in 3xTF32, FP32 and TF32 (fp32; fp16), each layout
#   im2colprof (not in the default list) ncu --set full of ViT N = 64 on the im2col family: 3xTF32 on
#              m128n96_w8_k4x3_x3 and strict FP32 on m128n128_w8_k4x4_ffma (NCHW), with the per-instruction SASS samples
#   nhwcprof   (not in the default list) kconv-bench of every Hopper stem config in fp32 NHWC each copy way and in
#              NCHW (TF32 and 3xTF32) at N = 256 and 32, then ncu (--set full) at N = 256 of TF32 k5x5 in NCHW
#              and in NHWC each way, and of 3xTF32 k3x3_x3 in NCHW and NHWC
# Logs go to $OUT as one archive; a short table is printed last.
set -uo pipefail
out=${OUT:-/tmp/kconv-out}
mkdir -p "$out"
stages=${*:-sass tests bench tune racecheck compare}
has() { [[ " $stages " == *" $1 "* ]]; }
[ -f .carry/bins.tar.xz ] && tar xJf .carry/bins.tar.xz -C .carry  # bench/prepare_carry.sh packed them
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv | tee "$out/gpu.txt"

if has sass; then
  for c in .carry/cubins/*.sm_90*.cubin; do
    sass=$(cuobjdump -sass "$c")
    printf '%s HMMA=%s HGMMA=%s LDGSTS=%s LDL/STL=%s\n' "$(basename "$c")" "$(grep -c ' HMMA' <<<"$sass")" \
      "$(grep -c HGMMA <<<"$sass")" "$(grep -c LDGSTS <<<"$sass")" "$(grep -cE 'LDL|STL' <<<"$sass")"
  done > "$out/sass.txt"
fi
if has tests; then
  timeout 400 .carry/kconv_gpu_tests > "$out/gpu_tests.log" 2>&1
  echo "gpu tests exit code: $?" | tee -a "$out/gpu_tests.log"
fi
if has bench; then
  for n in 256 32 1; do
    .carry/kconv-bench --n "$n" --flush > "$out/bench_n$n.log" 2>&1
  done
  KCONV_FORCE_PTX=1 .carry/kconv-bench --n 256 --flush > "$out/bench_ptx_n256.log" 2>&1
fi
if has tune; then
  for n in 256 1; do
    for mode in micro full; do
      timeout 120 .carry/kconv-tune --n "$n" --mode "$mode" --cache "$out/tuning_${mode}_n$n.cache" \
        > "$out/tune_${mode}_n$n.log" 2>&1
    done
  done
fi
if has racecheck; then
  for config in stem_wgmma_tf32/m192n96_w12_k5x5 stem_wgmma_tf32/m64n48_w4_k5x10; do
    timeout 300 compute-sanitizer --tool racecheck --print-limit 200 \
      .carry/kconv-bench --n 2 --config "$config" --runs 1 --warmup 0 > "$out/racecheck_${config#*/}.log" 2>&1
    echo "racecheck $config exit code: $?" >> "$out/racecheck_${config#*/}.log"
  done
fi
if has sanitize; then
  # AlexNet's 11x11/4 on 64x64 (Q = 14) and a 7x7/4 with left padding 3 on a 16-byte pitch: every family's
  # configs accept both; one run each.
  for tool in memcheck racecheck synccheck initcheck; do
    for shape in "--h 64 --w 64" "--h 48 --w 48 --r 7 --s 7 --pad 3 --k 40"; do
      timeout 600 compute-sanitizer --tool "$tool" --print-limit 50 .carry/kconv-bench --n 2 $shape --runs 1 \
        --warmup 0 > "$out/sanitize_${tool}_${shape//[^0-9a-z]/_}.log" 2>&1
      echo "$tool exit code: $?" >> "$out/sanitize_${tool}_${shape//[^0-9a-z]/_}.log"
    done
  done
fi
if has ab && [ -x .carry/baseline/kconv-bench ]; then
  for round in 1 2; do
    for n in 256 32 1; do
      config=$([ "$n" = 1 ] && echo stem_wgmma_tf32/m64n48_w4_k5x10 || echo stem_wgmma_tf32/m192n96_w12_k5x5)
      for side in baseline new; do
        bench=$([ "$side" = baseline ] && echo .carry/baseline/kconv-bench || echo .carry/kconv-bench)
        $bench --n "$n" --config "$config" --flush --runs 300 > "$out/ab_${side}_n${n}_r$round.log" 2>&1
        printf 'A/B round %s N = %-3s %-8s %s\n' "$round" "$n" "$side" \
          "$(grep -E '^stem_wgmma' "$out/ab_${side}_n${n}_r$round.log" | awk '{print $2, $3, $4, $NF}')" >> "$out/ab.txt"
      done
    done
  done
fi
# One experimental kernel set behind environment variable $2 (stages pairrows, wgmma3x), whose values $4 (0: off,
# then each way on) are compared: its GPU-suite case ($3, which sets the variable itself), kconv-bench in its mode ($5:
# kconv-bench's mode flags) at N = 256 with every value, memcheck and racecheck of kconv-bench at N = 2 with each
# value on (the stem family's configs), compare_torch at N = 256, 32, 1 with every value (same tensors), and the
# stems at N = 64 with the last value. $6...: compare_torch's mode flags. EXPERIMENT_STEPS picks the steps
# (default: tests sanitize bench compare stems), so that one device call stays inside its 10 minutes.
experiment() {
  local name=$1 var=$2 cases=$3 values=$4 modes=$5 value last steps=" ${EXPERIMENT_STEPS:-tests sanitize bench compare stems} "
  shift 5
  if [[ "$steps" == *" tests "* ]]; then
    timeout 300 .carry/kconv_gpu_tests -tc="$cases" > "$out/${name}_tests.log" 2>&1  # the case sets $var itself
    echo "$name tests exit code: $?" >> "$out/${name}_tests.log"
  fi
  for value in $values; do
    last=$value
    [ "$value" = 0 ] || [[ "$steps" != *" sanitize "* ]] && continue
    for tool in memcheck racecheck; do
      timeout 200 env "$var=$value" compute-sanitizer --tool "$tool" --print-limit 50 .carry/kconv-bench $modes --n 2 \
        --config stem_wgmma --runs 1 --warmup 0 > "$out/${name}_${tool}_$value.log" 2>&1
      echo "$name $tool ($var=$value) exit code: $?" >> "$out/${name}_${tool}_$value.log"
    done
  done
  for value in $values; do
    if [[ "$steps" == *" bench "* ]]; then
      timeout 120 env "$var=$value" .carry/kconv-bench $modes --config stem_wgmma --flush --runs 50 \
        > "$out/${name}_bench_$value.log" 2>&1
    fi
    if [[ "$steps" == *" compare "* ]]; then
      PYTHONUNBUFFERED=1 timeout 300 env "$var=$value" python3 bench/compare_torch.py --lib .carry/libkconv.so "$@" \
        --batches 256 32 1 --runs 30 --out "$out/${name}_compare_$value" > "$out/${name}_compare_$value.log" 2>&1
    fi
  done
  if [[ "$steps" == *" stems "* ]]; then
    PYTHONUNBUFFERED=1 timeout 400 env "$var=$last" python3 bench/compare_torch.py --lib .carry/libkconv.so \
      --suite stems "$@" --runs 30 --out "$out/${name}_stems" > "$out/${name}_stems.log" 2>&1
  fi
}
if has pairrows; then  # 1: the producers copy the band; 2: a tensor copy of raw rows, which they pair
  experiment pairrows KCONV_PAIR_ROWS 'gpu.precision_modes.pair_row*' '0 1 2' '--dtype fp16' \
    --dtype fp16 bf16 --layout nchw
fi
if has writeab && [ -x .carry/baseline/kconv-bench ]; then
  stems=("alexnet256 --n 256 --c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2"
         "alexnet32 --n 32 --c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2"
         "alexnet1 --n 1 --c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2"
         "convnext --n 64 --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0"
         "swin --n 64 --c 3 --h 224 --w 224 --k 128 --r 4 --s 4 --stride 4 --pad 0"
         "resnet --n 64 --c 3 --h 224 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3"
         "mobilenet --n 64 --c 3 --h 224 --w 224 --k 32 --r 3 --s 3 --stride 2 --pad 1"
         "vgg --n 64 --c 3 --h 224 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1")
  for round in 1 2; do
    for dtype in ${WRITEAB_DTYPES:-fp16 bf16 fp32 3xtf32}; do
      for stem in "${stems[@]}"; do
        read -r name shape <<<"$stem"
        [ "$dtype" != fp16 ] && [[ "$name" != alexnet* ]] && continue
        flags=(--dtype "$dtype")
        [ "$dtype" = 3xtf32 ] && flags=(--dtype fp32 --math 3xtf32)
        for side in baseline new; do
          if [ "$side" = baseline ]; then bench=(env ${BASELINE_ENV:-} .carry/baseline/kconv-bench); else bench=(.carry/kconv-bench); fi
          # shellcheck disable=SC2086  # $shape is the flags' words
          timeout 60 "${bench[@]}" $shape "${flags[@]}" --config stem_wgmma --flush --runs 50 > "$out/writeab_${side}_${name}_${dtype}_r$round.log" 2>&1
          printf 'round %s %-10s %-5s %-8s %s\n' "$round" "$name" "$dtype" "$side" \
            "$(grep -E "kconv's choice" "$out/writeab_${side}_${name}_${dtype}_r$round.log" | awk '{print $1, $2}')" >> "$out/writeab.txt"
        done
      done
    done
  done
  sort -k3,3 -k4,4 -k5,5 -k2,2 "$out/writeab.txt"
fi
if has bulkab; then
  steps=" ${EXPERIMENT_STEPS:-bench sanitize tests} "
  alexnet=(--c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2)
  if [[ "$steps" == *" bench "* ]]; then
    runs=("alexnet256 fp16 m256n96_w8_k3x9 --n 256 ${alexnet[*]}" "alexnet256 bf16 m256n96_w8_k3x9 --n 256 ${alexnet[*]}"
          "alexnet32 fp16 m256n96_w8_k3x9 --n 32 ${alexnet[*]}" "alexnet1 fp16 m64n48_w4_k5x10 --n 1 ${alexnet[*]}"
          "convnext fp16 m256n96_w8_k3x9 --n 64 --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0"
          "swin fp16 m256n64_w8_k3x2 --n 64 --c 3 --h 224 --w 224 --k 128 --r 4 --s 4 --stride 4 --pad 0"
          "resnet fp16 m256n64_w8_k7x3_p2 --n 64 --c 3 --h 224 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3"
          "vgg fp16 m256n64_w8_k5x2_p4 --n 64 --c 3 --h 224 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1")
    for round in 1 2; do
      for run in "${runs[@]}"; do
        read -r name dtype config shape <<<"$run"
        for bulk in ${BULKAB_MODES:-0 1}; do
          # shellcheck disable=SC2086  # $shape is the flags' words
          timeout 60 env KCONV_BULK_WRITE=$bulk .carry/kconv-bench $shape --dtype "$dtype" \
            --config "stem_wgmma_tf32/$config" --flush --runs 50 > "$out/bulkab_${name}_${dtype}_${bulk}_r$round.log" 2>&1
          printf 'round %s %-10s %-5s bulk=%s %-20s %s\n' "$round" "$name" "$dtype" "$bulk" "$config" \
            "$(grep -E "^stem_wgmma_tf32/$config " "$out/bulkab_${name}_${dtype}_${bulk}_r$round.log" | awk '{print $2, $NF}')" \
            >> "$out/bulkab_bench.txt"
        done
      done
    done
    sort -k3,3 -k4,4 -k5,5 -k2,2 "$out/bulkab_bench.txt"
  fi
  if [[ "$steps" == *" sanitize "* ]]; then
    for tool in memcheck racecheck; do
      timeout 120 env KCONV_BULK_WRITE="${BULKAB_SANITIZE_MODE:-1}" compute-sanitizer --tool "$tool" --print-limit 20 \
        .carry/kconv-bench "${alexnet[@]}" --n 2 --dtype fp16 --config stem_wgmma_tf32/m256n96_w8_k3x9 --runs 2 \
        --warmup 0 > "$out/bulkab_${tool}_alexnet.log" 2>&1
      echo "exit code: $?" >> "$out/bulkab_${tool}_alexnet.log"
      timeout 120 env KCONV_BULK_WRITE="${BULKAB_SANITIZE_MODE:-1}" compute-sanitizer --tool "$tool" --print-limit 20 \
        .carry/kconv-bench --n 2 --c 3 --h 224 --w 224 \
        --k 64 --r 3 --s 3 --stride 1 --pad 1 --dtype bf16 --config stem_wgmma_tf32/m256n64_w8_k5x2_p4 --runs 2 \
        --warmup 0 > "$out/bulkab_${tool}_vgg.log" 2>&1
      echo "exit code: $?" >> "$out/bulkab_${tool}_vgg.log"
    done
    grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$out"/bulkab_*check_*.log
  fi
  if [[ "$steps" == *" tests "* ]]; then  # last, so that a timeout leaves the timings
    for bulk in ${BULKAB_TEST_MODES:-1 0}; do
      timeout "${BULKAB_TEST_SECONDS:-200}" env KCONV_BULK_WRITE=$bulk .carry/kconv_gpu_tests \
        -tc="gpu.precision_modes.16_bit*,gpu.precision_modes.pair_row*,gpu.precision_modes.every_mode*,gpu.precision_modes.a_nan*" \
        > "$out/bulkab_tests_$bulk.log" 2>&1
      echo "exit code: $?" >> "$out/bulkab_tests_$bulk.log"
      grep -E "test cases|assertions|exit code" "$out/bulkab_tests_$bulk.log"
    done
  fi
fi
if has nhwck16; then
  steps=" ${EXPERIMENT_STEPS:-sanitize bench tests compare} "
  alexnet=(--c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2)
  resnet=(--c 3 --h 224 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3)
  if [[ "$steps" == *" sanitize "* ]]; then
    for tool in memcheck racecheck; do
      configs=(m256n96_w8_k3x9 m192n96_w12_k5x5 m64n96_w4_k5x10 m256n64_w8_k3x2)
      [ "$tool" = racecheck ] && configs=(m192n96_w12_k5x5 m64n96_w4_k5x10)  # racecheck is slow
      for ways in 2 1; do
        for config in "${configs[@]}"; do
          log="$out/nhwck16_${tool}_${ways}_$config.log"
          timeout 120 env KCONV_PAIR_ROWS=$ways compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench \
            "${alexnet[@]}" --n 2 --layout nhwc --dtype fp16 --relu=true --config "stem_wgmma_tf32/$config" --runs 2 \
            --warmup 0 > "$log" 2>&1
          echo "exit code: $?" >> "$log"
        done
      done
      log="$out/nhwck16_${tool}_resnet.log"  # the bulk write at stride 2 (phase planes, widened)
      timeout 120 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench "${resnet[@]}" --n 2 \
        --layout nhwc --dtype bf16 --relu=true --config stem_wgmma_tf32/m256n64_w8_k7x3_p2 --runs 2 --warmup 0 \
        > "$log" 2>&1
      echo "exit code: $?" >> "$log"
    done
    grep -cE "ERROR SUMMARY: 0 errors|RACECHECK SUMMARY: 0 hazards" "$out"/nhwck16_*check_*.log |
      awk -F: '{s += $2} END {print s " of 14 sanitizer runs clean"}'
    grep -LE "ERROR SUMMARY: 0 errors|RACECHECK SUMMARY: 0 hazards" "$out"/nhwck16_*check_*.log
  fi
  if [[ "$steps" == *" bench "* ]]; then
    runs=("alexnet256 fp16 nhwc --n 256 ${alexnet[*]}" "alexnet256 bf16 nhwc --n 256 ${alexnet[*]}"
          "alexnet32 fp16 nhwc --n 32 ${alexnet[*]}" "alexnet1 fp16 nhwc --n 1 ${alexnet[*]}"
          "convnext fp16 nhwc --n 64 --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0"
          "swin fp16 nhwc --n 64 --c 3 --h 224 --w 224 --k 128 --r 4 --s 4 --stride 4 --pad 0"
          "resnet fp16 nhwc --n 64 ${resnet[*]}"
          "mobilenet fp16 nhwc --n 64 --c 3 --h 224 --w 224 --k 32 --r 3 --s 3 --stride 2 --pad 1"
          "vgg fp16 nhwc --n 64 --c 3 --h 224 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1"
          "alexnet256 fp16 nchw --n 256 ${alexnet[*]}")
    # main's path (widened, the lanes' stores), pair rows with the lanes' stores, the producers' register copy
    # of pair rows, and the defaults (pair rows by tensor copy, the bulk write)
    sides=("main KCONV_PAIR_ROWS=0 KCONV_NHWC_BULK=0" "pairs KCONV_NHWC_BULK=0" "registers KCONV_PAIR_ROWS=1"
           "default")
    for round in 1 2; do
      for run in "${runs[@]}"; do
        read -r name dtype layout shape <<<"$run"
        for side in "${sides[@]}"; do
          read -r label vars <<<"$side"
          log="$out/nhwck16_${name}_${dtype}_${layout}_${label}_r$round.log"
          # shellcheck disable=SC2086  # $shape is the flags' words
          timeout 90 env $vars .carry/kconv-bench $shape --dtype "$dtype" --layout "$layout" \
            --config stem_wgmma_tf32/ --flush --runs 50 > "$log" 2>&1
          for mark in "kconv's choice" fastest; do
            printf 'round %s %-10s %-4s %-4s %-9s %-8s %s\n' "$round" "$name" "$dtype" "$layout" "$label" \
              "${mark##* }" "$(grep -F -- "<- $mark" "$log" | awk '{print $1, $2}' | head -1)" \
              >> "$out/nhwck16_bench.txt"
          done
          grep -c MISMATCH "$log" | awk -v l="$log" '$1 > 0 {print "MISMATCH in " l}'
        done
      done
    done
    sort -k3,3 -k4,4 -k5,5 -k7,7 -k6,6 -k2,2 "$out/nhwck16_bench.txt"
  fi
  if [[ "$steps" == *" tests "* ]]; then
    timeout "${NHWCK16_TEST_SECONDS:-300}" .carry/kconv_gpu_tests \
      -tc="gpu.precision_modes.16_bit*,gpu.precision_modes.pair_row*,gpu.precision_modes.every_mode*,gpu.precision_modes.a_nan*" \
      > "$out/nhwck16_tests.log" 2>&1
    echo "exit code: $?" >> "$out/nhwck16_tests.log"
    grep -E "test cases|assertions|exit code|ERROR" "$out/nhwck16_tests.log" | head -20
  fi
  if [[ "$steps" == *" compare "* ]] && [ -f .carry/libkconv.so ]; then
    PYTHONUNBUFFERED=1 timeout 200 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
      --dtype fp16 bf16 --layout nchw nhwc --runs 30 --out "$out/nhwck16_stems" > "$out/nhwck16_stems.log" 2>&1
    PYTHONUNBUFFERED=1 timeout 150 python3 bench/compare_torch.py --lib .carry/libkconv.so --dtype fp16 bf16 \
      --layout nchw nhwc --batches 256 32 1 --runs 30 --out "$out/nhwck16_alexnet" > "$out/nhwck16_alexnet.log" 2>&1
    tail -45 "$out/nhwck16_stems.log" "$out/nhwck16_alexnet.log"
  fi
fi
if has nhwcverify; then
  alexnet=(--c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2)
  convnext=(--c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0)
  timeout 150 compute-sanitizer --tool memcheck --print-limit 20 .carry/kconv-bench "${convnext[@]}" --n 2 \
    --layout nhwc --dtype fp16 --config stem_wgmma_tf32/ --runs 2 --warmup 0 > "$out/nhwcverify_memcheck_convnext.log" 2>&1
  echo "exit code: $?" >> "$out/nhwcverify_memcheck_convnext.log"
  for tool in memcheck racecheck; do
    timeout 90 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench "${alexnet[@]}" --n 2 \
      --layout nhwc --dtype fp16 --relu=true --config stem_wgmma_tf32/m256n96_w8_k3x5 --runs 2 --warmup 0 \
      > "$out/nhwcverify_${tool}_alexnet.log" 2>&1
    echo "exit code: $?" >> "$out/nhwcverify_${tool}_alexnet.log"
  done
  for f in "$out"/nhwcverify_*check_*.log; do
    echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$f" | tr '\n' ' ')"
  done
  for run in "alexnet256 --n 256 ${alexnet[*]}" "convnext --n 64 ${convnext[*]}" \
             "swin --n 64 --c 3 --h 224 --w 224 --k 128 --r 4 --s 4 --stride 4 --pad 0"; do
    read -r name shape <<<"$run"
    for side in "main KCONV_PAIR_ROWS=0 KCONV_NHWC_BULK=0" "default"; do
      read -r label vars <<<"$side"
      log="$out/nhwcverify_${name}_$label.log"
      # shellcheck disable=SC2086  # $shape is the flags' words
      timeout 60 env $vars .carry/kconv-bench $shape --dtype fp16 --layout nhwc --config stem_wgmma_tf32/ --flush \
        --runs 50 > "$log" 2>&1
      echo "== $name $label: $(grep -cE " ok( |$)" "$log") ok, $(grep -c MISMATCH "$log") mismatched"
      grep -E "<- |cuEvent|rror" "$log" | head -4
      grep -E "^stem_wgmma" "$log" | awk '{print "   ", $1, $2}' | sort -k2 -n | head -6
    done
  done
  PYTHONUNBUFFERED=1 timeout 100 python3 bench/compare_torch.py --lib .carry/libkconv.so --dtype fp16 bf16 \
    --layout nhwc --batches 256 32 1 --runs 30 --out "$out/nhwcverify_alexnet" > "$out/nhwcverify_alexnet.log" 2>&1
  PYTHONUNBUFFERED=1 timeout 100 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
    --only convnext_4x4s4 swin_4x4s4 resnet_7x7s2 mobilenet_3x3s2 vgg_3x3s1 --dtype fp16 --layout nhwc --runs 30 \
    --out "$out/nhwcverify_stems" > "$out/nhwcverify_stems.log" 2>&1
  tail -12 "$out/nhwcverify_alexnet.log" "$out/nhwcverify_stems.log"
  timeout "${NHWCVERIFY_TEST_SECONDS:-200}" .carry/kconv_gpu_tests \
    -tc="gpu.precision_modes.16_bit*,gpu.precision_modes.pair_row*,gpu.precision_modes.every_mode*,gpu.precision_modes.a_nan*" \
    > "$out/nhwcverify_tests.log" 2>&1
  echo "exit code: $?" >> "$out/nhwcverify_tests.log"
  grep -E "test cases|assertions|exit code|ERROR|FAILED|TEST CASE" "$out/nhwcverify_tests.log" | head -20
fi
if has turns; then  # the sanitizers and tests run with both on
  steps=" ${EXPERIMENT_STEPS:-sanitize bench tests} "
  alexnet=(--c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2)
  rows54=(--c 3 --h 220 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2)
  if [[ "$steps" == *" sanitize "* ]]; then
    for tool in memcheck racecheck; do
      timeout 120 env KCONV_PINGPONG=1 KCONV_RESIDENT_WEIGHTS=1 compute-sanitizer --tool "$tool" --print-limit 20 \
        .carry/kconv-bench "${alexnet[@]}" --n 2 \
        --dtype fp16 --relu=true --config stem_wgmma_tf32/m256n96_w8_k3x9 --runs 2 --warmup 0 \
        > "$out/turns_${tool}_alexnet.log" 2>&1
      echo "exit code: $?" >> "$out/turns_${tool}_alexnet.log"
      timeout 120 env KCONV_PINGPONG=1 KCONV_RESIDENT_WEIGHTS=1 compute-sanitizer --tool "$tool" --print-limit 20 \
        .carry/kconv-bench "${rows54[@]}" --n 2 \
        --dtype bf16 --config stem_wgmma_tf32/m256n96_w8_k3x9 --runs 2 --warmup 0 > "$out/turns_${tool}_rows54.log" 2>&1
      echo "exit code: $?" >> "$out/turns_${tool}_rows54.log"
    done
    grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$out"/turns_*check_*.log
  fi
  if [[ "$steps" == *" bench "* ]]; then
    runs=("alexnet256 fp16 m256n96_w8_k3x9 --n 256 ${alexnet[*]}" "alexnet256 bf16 m256n96_w8_k3x9 --n 256 ${alexnet[*]}"
          "alexnet32 fp16 m256n96_w8_k3x9 --n 32 ${alexnet[*]}" "alexnet1 fp16 m64n48_w4_k5x10 --n 1 ${alexnet[*]}"
          "rows54 fp16 m256n96_w8_k3x9 --n 256 ${rows54[*]}"
          "convnext fp16 m256n96_w8_k3x9 --n 64 --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0"
          "swin fp16 m256n64_w8_k3x2 --n 64 --c 3 --h 224 --w 224 --k 128 --r 4 --s 4 --stride 4 --pad 0"
          "resnet fp16 m256n64_w8_k7x3_p2 --n 64 --c 3 --h 224 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3"
          "vgg fp16 m256n64_w8_k5x2_p4 --n 64 --c 3 --h 224 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1")
    sides=("baseline" "none KCONV_PINGPONG=0 KCONV_RESIDENT_WEIGHTS=0" "resident KCONV_PINGPONG=0"
           "both KCONV_PINGPONG=1" "default")
    for round in ${TURNS_ROUNDS:-1 2}; do
      for run in "${runs[@]}"; do
        read -r name dtype config shape <<<"$run"
        for side in "${sides[@]}"; do
          read -r label vars <<<"$side"
          [ "$label" = baseline ] && [ ! -x .carry/baseline/kconv-bench ] && continue  # no BASELINE= given
          bench=(env $vars .carry/kconv-bench)
          [ "$label" = baseline ] && bench=(.carry/baseline/kconv-bench)
          log="$out/turns_${name}_${dtype}_${label}_r$round.log"
          # shellcheck disable=SC2086  # $shape is the flags' words
          timeout 60 "${bench[@]}" $shape --dtype "$dtype" --config "stem_wgmma_tf32/$config" --flush --runs 50 \
            > "$log" 2>&1
          printf 'round %s %-10s %-5s %-9s %-20s %s\n' "$round" "$name" "$dtype" "$label" "$config" \
            "$(grep -E "^stem_wgmma_tf32/$config " "$log" | awk '{print $2, $NF}')" >> "$out/turns_bench.txt"
        done
      done
    done
    sort -k3,3 -k4,4 -k5,5 -k2,2 "$out/turns_bench.txt"
  fi
  if [[ "$steps" == *" tests "* ]]; then  # last, so that a timeout leaves the timings
    timeout "${TURNS_TEST_SECONDS:-240}" env KCONV_PINGPONG=1 KCONV_RESIDENT_WEIGHTS=1 .carry/kconv_gpu_tests \
      -tc="gpu.precision_modes.16_bit*,gpu.precision_modes.pair_row*,gpu.precision_modes.every_mode*,gpu.precision_modes.a_nan*" \
      > "$out/turns_tests.log" 2>&1
    echo "exit code: $?" >> "$out/turns_tests.log"
    grep -E "test cases|assertions|exit code|ERROR" "$out/turns_tests.log" | head -20
  fi
fi
if has intype; then
  steps=" ${EXPERIMENT_STEPS:-tests sanitize bench} "
  alexnet=(--c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2)
  if [[ "$steps" == *" sanitize "* ]]; then
    for tool in memcheck racecheck; do
      for config in m256n96_w8_k3x5 m256n96_w8_k3x9; do
        timeout 120 env KCONV_PINGPONG=1 KCONV_RESIDENT_WEIGHTS=1 compute-sanitizer --tool "$tool" --print-limit 20 \
        .carry/kconv-bench "${alexnet[@]}" --n 2 \
          --dtype fp16 --config "stem_wgmma_tf32/$config" --runs 2 --warmup 0 > "$out/intype_${tool}_$config.log" 2>&1
        echo "exit code: $?" >> "$out/intype_${tool}_$config.log"
      done
      timeout 120 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench --n 2 --c 3 --h 224 --w 224 \
        --k 64 --r 7 --s 7 --stride 2 --pad 3 --dtype fp16 --config stem_wgmma --runs 2 --warmup 0 \
        > "$out/intype_${tool}_resnet.log" 2>&1
      echo "exit code: $?" >> "$out/intype_${tool}_resnet.log"
    done
  fi
  if [[ "$steps" == *" bench "* ]]; then  # each shape on its default config (and AlexNet on k3x9), baseline alternating
    runs=("alexnet256 fp16 m256n96_w8_k3x5 --n 256 ${alexnet[*]}" "alexnet256 fp16 m256n96_w8_k3x9 --n 256 ${alexnet[*]}"
          "alexnet256 bf16 m256n96_w8_k3x5 --n 256 ${alexnet[*]}" "alexnet32 fp16 m192n96_w12_k5x5 --n 32 ${alexnet[*]}"
          "alexnet32 fp16 m256n96_w8_k3x9 --n 32 ${alexnet[*]}" "alexnet1 fp16 m64n48_w4_k5x10 --n 1 ${alexnet[*]}"
          "convnext fp16 m256n96_w8_k3x2 --n 64 --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0"
          "convnext fp16 m256n96_w8_k3x9 --n 64 --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0"
          "swin fp16 m256n64_w8_k3x2 --n 64 --c 3 --h 224 --w 224 --k 128 --r 4 --s 4 --stride 4 --pad 0"
          "resnet fp16 m256n64_w8_k7x3_p2 --n 64 --c 3 --h 224 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3"
          "mobilenet fp16 m512n32_w8_k5x2_p2 --n 64 --c 3 --h 224 --w 224 --k 32 --r 3 --s 3 --stride 2 --pad 1"
          "vgg fp16 m256n64_w8_k5x2_p4 --n 64 --c 3 --h 224 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1")
    for round in 1 2; do
      for run in "${runs[@]}"; do
        read -r name dtype config shape <<<"$run"
        for side in baseline new; do
          bench=.carry/kconv-bench
          if [ "$side" = baseline ]; then
            bench=.carry/baseline/kconv-bench
            [ -x "$bench" ] && [ "$config" != m256n96_w8_k3x9 ] || continue  # main has no k3x9
          fi
          # shellcheck disable=SC2086  # $shape is the flags' words
          timeout 60 "$bench" $shape --dtype "$dtype" --config "stem_wgmma_tf32/$config" --flush --runs 50 \
            > "$out/intype_bench_${side}_${name}_${dtype}_${config}_r$round.log" 2>&1
          printf 'round %s %-10s %-5s %-8s %-20s %s\n' "$round" "$name" "$dtype" "$side" "$config" \
            "$(grep -E "^stem_wgmma_tf32/$config " "$out/intype_bench_${side}_${name}_${dtype}_${config}_r$round.log" | awk '{print $2, $NF}')" \
            >> "$out/intype_bench.txt"
        done
      done
    done
    sort -k3,3 -k6,6 -k4,4 -k5,5 -k2,2 "$out/intype_bench.txt"
  fi
  if [[ "$steps" == *" tests "* ]]; then  # last, so that a timeout leaves the timings; INTYPE_TESTS narrows the cases
    timeout "${INTYPE_TEST_SECONDS:-550}" .carry/kconv_gpu_tests \
      -tc="${INTYPE_TESTS:-gpu.precision_modes.16_bit*,gpu.precision_modes.pair_row*,gpu.precision_modes.every_mode*,gpu.precision_modes.a_nan*}" \
      > "$out/intype_tests.log" 2>&1
    echo "exit code: $?" >> "$out/intype_tests.log"
  fi
fi
if has wgmma3x; then
  experiment wgmma3x KCONV_WGMMA_3XTF32 'gpu.precision_modes.wgmma_3xtf32*' '0 1' '--math 3xtf32' \
    --math 3xtf32 --dtype fp32 --layout nchw
fi
if has nhwc3x; then  # 0: fp32 NHWC 3xTF32 on stem_ffma (strict FP32); 1: on the split configs
  experiment nhwc3x KCONV_WGMMA_3XTF32 'gpu.precision_modes.wgmma_3xtf32_nhwc*' '0 1' \
    '--math 3xtf32 --layout nhwc --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0' \
    --math 3xtf32 --dtype fp32 --layout nhwc
fi
if has ffma3x3; then
  for layout in nchw nhwc; do
    PYTHONUNBUFFERED=1 timeout 300 python3 bench/time_configs.py --lib .carry/libkconv.so --math fp32 \
      --layout "$layout" --stem mobilenet_3x3s2 vgg_3x3s1 convnext_4x4s4 swin_4x4s4 --n 64 --only stem_ffma \
      > "$out/ffma3x3_configs_$layout.log" 2>&1
  done
  PYTHONUNBUFFERED=1 timeout 300 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
    --only mobilenet_3x3s2 vgg_3x3s1 convnext_4x4s4 swin_4x4s4 --math fp32 --dtype fp32 --layout nchw nhwc --runs 30 \
    --out "$out/ffma3x3_stems" > "$out/ffma3x3_stems.log" 2>&1
fi
if has im2colio; then  # EXPERIMENT_STEPS as for the experiments: tests, sanitize, bench (time_configs), compare
  steps=" ${EXPERIMENT_STEPS:-tests sanitize bench compare} "
  if [[ "$steps" == *" tests "* ]]; then
    timeout 400 .carry/kconv_gpu_tests -tc='gpu.precision_modes.every_mode*' > "$out/im2colio_tests.log" 2>&1
    echo "mode tests exit code: $?" >> "$out/im2colio_tests.log"
  fi
  vit=(--c 3 --h 224 --w 224 --k 768 --r 16 --s 16 --stride 16 --pad 0)
  for dtype in fp32 fp16 bf16; do
    for layout in nchw nhwc; do
      if [[ "$steps" == *" sanitize "* ]]; then
        timeout 90 compute-sanitizer --tool memcheck --print-limit 20 .carry/kconv-bench "${vit[@]}" --n 2 \
          --config _io --dtype "$dtype" --layout "$layout" --runs 2 --warmup 0 \
          > "$out/im2colio_memcheck_${dtype}_$layout.log" 2>&1
        echo "exit code: $?" >> "$out/im2colio_memcheck_${dtype}_$layout.log"
      fi
      if [[ "$steps" == *" bench "* ]]; then
        PYTHONUNBUFFERED=1 timeout 200 python3 bench/time_configs.py --lib .carry/libkconv.so --n 64 --dtype "$dtype" \
          --layout "$layout" --only im2col --stem vit_b16 resnet_7x7s2 mobilenet_3x3s2 vgg_3x3s1 \
          > "$out/im2colio_configs_${dtype}_$layout.log" 2>&1
      fi
    done
  done
  if [[ "$steps" == *" compare "* ]]; then
    PYTHONUNBUFFERED=1 timeout 400 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
      --only vit_b16 resnet_7x7s2 mobilenet_3x3s2 vgg_3x3s1 --dtype fp32 fp16 bf16 --layout nchw nhwc --runs 20 \
      --out "$out/im2colio_stems" > "$out/im2colio_stems.log" 2>&1
  fi
fi
if has modes; then  # the defaults in every mode: what the heuristic chooses for the stems and AlexNet
  # memcheck of the FFMA stem configs that became defaults in the twenty-first session, at N = 2, both layouts
  for stem in "mobilenet stem_ffma/s3u2_k32_r8_q56 --c 3 --h 224 --w 224 --k 32 --r 3 --s 3 --stride 2 --pad 1" \
              "vgg stem_ffma/s3u1_k64_r4_q56 --c 3 --h 64 --w 64 --k 64 --r 3 --s 3 --stride 1 --pad 1" \
              "convnext stem_ffma/s4u4_k96_r4_q56 --c 3 --h 224 --w 224 --k 96 --r 4 --s 4 --stride 4 --pad 0"; do
    read -r name config shape <<<"$stem"
    for layout in nchw nhwc; do
      # shellcheck disable=SC2086  # $shape is the flags' words
      timeout 120 compute-sanitizer --tool memcheck --print-limit 20 .carry/kconv-bench $shape --n 2 --math fp32 \
        --layout "$layout" --config "$config" --runs 2 --warmup 0 > "$out/modes_memcheck_${name}_$layout.log" 2>&1
      echo "exit code: $?" >> "$out/modes_memcheck_${name}_$layout.log"
    done
  done
  PYTHONUNBUFFERED=1 timeout 240 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
    --math tf32 3xtf32 fp32 --dtype fp32 fp16 bf16 --layout nchw nhwc --runs 30 --out "$out/modes_stems" \
    > "$out/modes_stems.log" 2>&1
  PYTHONUNBUFFERED=1 timeout 200 python3 bench/compare_torch.py --lib .carry/libkconv.so --math tf32 3xtf32 fp32 \
    --dtype fp32 fp16 bf16 --layout nchw nhwc --batches 256 32 1 --runs 30 --out "$out/modes_alexnet" \
    > "$out/modes_alexnet.log" 2>&1
fi
if has widenraw; then  # EXPERIMENT_STEPS as for the experiments: tests, sanitize, bench (time_configs), compare
  steps=" ${EXPERIMENT_STEPS:-tests sanitize bench compare} "
  if [[ "$steps" == *" tests "* ]]; then  # every mode, shape and config
    timeout 450 .carry/kconv_gpu_tests -tc='gpu.precision_modes.every_mode*' > "$out/widenraw_tests.log" 2>&1
    echo "mode tests exit code: $?" >> "$out/widenraw_tests.log"
  fi
  if [[ "$steps" == *" tests16 "* ]]; then  # 16-bit NCHW with KCONV_PAIR_ROWS=1 and 0: copied pair rows, widened
    timeout 450 .carry/kconv_gpu_tests -tc='gpu.precision_modes.pair_row*' > "$out/widenraw_tests16.log" 2>&1
    echo "16-bit NCHW mode tests exit code: $?" >> "$out/widenraw_tests16.log"
  fi
  for stem in "resnet_7x7s2 stem_wgmma_tf32/m256n64_w8_k7x3_p2 --c 3 --h 64 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3" \
              "mobilenet_3x3s2 stem_wgmma_tf32/m512n32_w8_k5x2_p2 --c 3 --h 64 --w 224 --k 32 --r 3 --s 3 --stride 2 --pad 1" \
              "vgg_3x3s1 stem_wgmma_tf32/m256n64_w8_k5x2_p4 --c 3 --h 32 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1"; do
    read -r name config shape <<<"$stem"
    for mode in "fp16 nchw" "bf16 nchw" "fp16 nhwc" "bf16 nhwc" "fp32 nhwc"; do
      read -r dtype layout <<<"$mode"
      for tool in memcheck racecheck; do
        [[ "$steps" == *" sanitize "* ]] || continue
        [ "$tool" = racecheck ] && [ "$dtype" != fp16 ] && continue
        # shellcheck disable=SC2086  # $shape is the flags' words
        timeout 120 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench $shape --n 2 --dtype "$dtype" \
          --layout "$layout" --config "$config" --runs 2 --warmup 0 > "$out/widenraw_${tool}_${name}_${dtype}_$layout.log" 2>&1
        echo "exit code: $?" >> "$out/widenraw_${tool}_${name}_${dtype}_$layout.log"
      done
      if [[ "$steps" == *" sanitize "* ]] && [ "$dtype/$layout" = fp16/nchw ]; then  # the other band copies
        for ways in 1 0; do  # pair rows through registers; widened planes
          # shellcheck disable=SC2086  # $shape is the flags' words
          KCONV_PAIR_ROWS=$ways timeout 120 compute-sanitizer --tool memcheck --print-limit 20 .carry/kconv-bench $shape \
            --n 2 --dtype fp16 --config "$config" --runs 2 --warmup 0 > "$out/widenraw_memcheck_${name}_fp16_nchw_$ways.log" 2>&1
          echo "exit code: $?" >> "$out/widenraw_memcheck_${name}_fp16_nchw_$ways.log"
        done
      fi
      if [[ "$steps" == *" bench "* ]]; then
        PYTHONUNBUFFERED=1 timeout 120 python3 bench/time_configs.py --lib .carry/libkconv.so --n 64 --dtype "$dtype" \
          --layout "$layout" --stem "$name" --only stem_wgmma > "$out/widenraw_configs_${name}_${dtype}_$layout.log" 2>&1
        if [ "$layout" = nchw ] && [ "$dtype" = fp16 ]; then  # pair-row planes (even vertical strides) against widened
          PYTHONUNBUFFERED=1 KCONV_PAIR_ROWS=0 timeout 120 python3 bench/time_configs.py --lib .carry/libkconv.so \
            --n 64 --dtype fp16 --stem "$name" --only stem_wgmma > "$out/widenraw_configs_${name}_fp16_nchw_widened.log" 2>&1
        fi
      fi
    done
    if [[ "$steps" == *" compare "* ]]; then
      PYTHONUNBUFFERED=1 timeout 300 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems --only "$name" \
        --config "$config" --dtype fp32 fp16 bf16 --layout nchw nhwc --runs 30 --out "$out/widenraw_stems_$name" \
        > "$out/widenraw_stems_$name.log" 2>&1
    fi
  done
fi
if has deepring; then
  alexnet=(--c 3 --h 224 --w 224 --k 96 --r 11 --s 11 --stride 4 --pad 2)
  for config in stem_wgmma_tf32/m256n96_w8_k3x5 stem_wgmma_tf32/m192n96_w12_k3x8; do
    for tool in memcheck racecheck; do
      timeout 120 env KCONV_PINGPONG=1 KCONV_RESIDENT_WEIGHTS=1 compute-sanitizer --tool "$tool" --print-limit 20 \
        .carry/kconv-bench "${alexnet[@]}" --n 2 \
        --dtype fp16 --config "$config" --runs 2 --warmup 0 > "$out/deepring_${tool}_${config#*/}.log" 2>&1
      echo "exit code: $?" >> "$out/deepring_${tool}_${config#*/}.log"
    done
  done
  # Where the pair-row kernel's time goes at N = 256: tensor and shared-memory throughput, and the warps' stalls
  # (all warps together: the producers' and the consumers'), for the default's two-slot ring and the deep one.
  for config in stem_wgmma_tf32/m256n96_w8_k3x2 stem_wgmma_tf32/m256n96_w8_k3x5; do
    timeout 150 ncu --clock-control none -k regex:'k16$' -c 1 --section SpeedOfLight --section WarpStateStats \
      --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables --section SchedulerStats \
      .carry/kconv-bench "${alexnet[@]}" --n 256 --dtype fp16 --config "$config" --runs 1 --warmup 0 \
      > "$out/deepring_ncu_${config#*/}.log" 2>&1
    echo "exit code: $?" >> "$out/deepring_ncu_${config#*/}.log"
  done
  # The 16-bit NCHW pair-row modes, the NHWC ones the issue's table holds (fp32 TF32 at 314.8 against <= 300), and
  # fp32 NCHW TF32 (the 3-row kernel without padded steps).
  for mode in "fp16 nchw" "bf16 nchw" "fp16 nhwc" "fp32 nhwc" "fp32 nchw"; do
    read -r dtype layout <<<"$mode"
    PYTHONUNBUFFERED=1 timeout 200 python3 bench/time_configs.py --lib .carry/libkconv.so --n 256 32 --dtype "$dtype" \
      --layout "$layout" --only stem_wgmma --runs 30 > "$out/deepring_configs_${dtype}_$layout.log" 2>&1
  done
fi
if has multigpu; then
  nvidia-smi -L > "$out/multigpu_devices.txt"
  timeout 300 .carry/kconv_gpu_tests -tc='gpu.multi_gpu*' > "$out/multigpu_tests.log" 2>&1
  echo "multi_gpu exit code: $?" >> "$out/multigpu_tests.log"
  if [ "$(wc -l < "$out/multigpu_devices.txt")" -lt 2 ]; then
    KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE=1 timeout 300 .carry/kconv_gpu_tests -tc='gpu.multi_gpu*' \
      > "$out/multigpu_one_device.log" 2>&1
    echo "multi_gpu on one device exit code: $?" >> "$out/multigpu_one_device.log"
  fi
  KCONV_TEST_MULTI_GPU_CALLS=160 KCONV_TEST_MULTI_GPU_ON_ONE_DEVICE=1 timeout 600 compute-sanitizer --tool memcheck \
    --print-limit 50 .carry/kconv_gpu_tests -tc='gpu.multi_gpu.threads*' > "$out/multigpu_memcheck.log" 2>&1
  echo "multi_gpu memcheck exit code: $?" >> "$out/multigpu_memcheck.log"
  (cd tests/python && KCONV_LIBRARY="$PWD/../../.carry/libkconv.so" PYTHONPATH="$PWD/../../python" timeout 300 \
    python3 -m pytest -q -rs test_torch_gpu.py -k cuda_1) > "$out/multigpu_pytest.log" 2>&1
  timeout 300 python3 bench/multi_gpu_throughput.py --lib .carry/libkconv.so --out "$out" > "$out/multigpu_throughput.log" 2>&1
fi
if has nhwcsan; then
  # fp32 NHWC bands at stride 4 by asynchronous copies (KCONV_NHWC_BAND_COPY=async) or tensor copies (the default),
  # on rows past 64 16-byte pieces (40x300: 77; 24x600: 152), where the rounding pass's second 64 pieces run.
  for shape in "40 300 24" "24 600 96"; do
    read -r h w k <<<"$shape"
    for run in "3xtf32 _x3" "tf32 m192n96_w12_k5x5"; do
      read -r math config <<<"$run"
      for copy in async tensor; do
        for tool in memcheck racecheck; do
          log="$out/nhwcsan_${tool}_${h}x${w}_${math}_${config}_$copy.log"
          KCONV_NHWC_BAND_COPY=$copy timeout 90 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench \
            --n 2 --c 3 --h "$h" --w "$w" --k "$k" --r 11 --s 11 --stride 4 --pad 2 --layout nhwc --math "$math" \
            --config "$config" --runs 2 --warmup 0 > "$log" 2>&1
          echo "exit code: $?" >> "$log"
        done
      done
    done
  done
fi
if has nhwcprof; then
  # The two copies against each other on every Hopper stem config in NHWC (cold L2), NCHW beside them.
  for n in 256 32; do
    for copy in tensor async; do
      KCONV_NHWC_BAND_COPY=$copy .carry/kconv-bench --n "$n" --layout nhwc --flush --config stem_wgmma --runs 50 \
        > "$out/nhwcprof_bench_tf32_n${n}_$copy.log" 2>&1
      KCONV_NHWC_BAND_COPY=$copy .carry/kconv-bench --n "$n" --layout nhwc --math 3xtf32 --flush --config _x3 --runs 50 \
        > "$out/nhwcprof_bench_3xtf32_n${n}_$copy.log" 2>&1
    done
    .carry/kconv-bench --n "$n" --flush --config stem_wgmma --runs 50 > "$out/nhwcprof_bench_tf32_n${n}_nchw.log" 2>&1
    .carry/kconv-bench --n "$n" --math 3xtf32 --flush --config _x3 --runs 50 > "$out/nhwcprof_bench_3xtf32_n${n}_nchw.log" 2>&1
  done
  # Where each kernel's time goes, AlexNet N = 256: TF32 k5x5 in NCHW and in NHWC each copy way; 3xTF32 k3x3_x3
  # in NCHW and in NHWC (async).
  for run in "tf32 m192n96_w12_k5x5 nchw tensor" "tf32 m192n96_w12_k5x5 nhwc tensor" "tf32 m192n96_w12_k5x5 nhwc async" \
             "3xtf32 m128n96_w8_k3x3_x3 nchw tensor" "3xtf32 m128n96_w8_k3x3_x3 nhwc async"; do
    read -r math config layout copy <<<"$run"
    suffix=$([ "$layout" = nhwc ] && echo _nhwc)
    log="$out/nhwcprof_ncu_${math}_${layout}_$copy.log"
    KCONV_NHWC_BAND_COPY=$copy timeout 100 ncu --clock-control none -k "regex:${config}${suffix}\$" -c 1 --set full \
      .carry/kconv-bench --n 256 --layout "$layout" --math "$math" --config "$config" --runs 1 --warmup 0 > "$log" 2>&1
    echo "exit code: $?" >> "$log"
  done
fi
# The A/B of the NHWC band copies: baseline (.carry/baseline, BASELINE= in prepare_carry) against this build in two
# alternating rounds, each "name|kconv-bench flags" run ($2...) in fp32 NHWC each copy way; every config's median
# goes to $out/$1.txt, a line each.
nhwc_ab() {
  local stage=$1 round side bench run name copy log
  shift
  for round in 1 2; do
    for side in baseline new; do
      bench=$([ "$side" = baseline ] && echo .carry/baseline/kconv-bench || echo .carry/kconv-bench)
      for run in "$@"; do
        name=${run%%|*}
        for copy in async tensor; do
          log="$out/${stage}_${name}_${copy}_${side}_r$round.log"
          # shellcheck disable=SC2086  # the flags split on purpose
          KCONV_NHWC_BAND_COPY=$copy $bench --layout nhwc --flush --runs 100 ${run#*|} > "$log" 2>&1
          grep -E '^stem_wgmma' "$log" | awk -v r="$round" -v n="$name" -v c="$copy" -v s="$side" \
            '{printf "round %s %-14s %-6s %-8s %-36s %s\n", r, n, c, s, $1, $2}' >> "$out/$stage.txt"
        done
      done
    done
  done
}
patchify="--n 64 --c 3 --h 224 --w 224 --r 4 --s 4 --stride 4 --pad 0"
if has nhwcab; then
  nhwc_ab nhwcab "alexnet_tf32|--n 256 --config m192n96_w12_k5x5" "alexnet_3xtf32|--n 256 --math 3xtf32 --config k3x3_x3" \
    "convnext|$patchify --k 96 --config stem_wgmma" "swin|$patchify --k 128 --config stem_wgmma"
  # Rows past 64 16-byte pieces; 24x600 (3 m64 pieces a row) is a shape the 12-warp k5x5 takes.
  for run in "3xtf32 _x3 40 300" "tf32 m64n96_w4_k5x10 40 300" "tf32 m192n96_w12_k5x5 24 600"; do
    read -r math config h w <<<"$run"
    for tool in memcheck racecheck; do
      log="$out/nhwcab_${tool}_${h}x${w}_${math}_$config.log"
      KCONV_NHWC_BAND_COPY=async timeout 60 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench \
        --n 2 --c 3 --h "$h" --w "$w" --k 24 --r 11 --s 11 --stride 4 --pad 2 --layout nhwc --math "$math" \
        --config "$config" --runs 2 --warmup 0 > "$log" 2>&1
      echo "exit code: $?" >> "$log"
    done
  done
fi
if has nhwctests; then  # the GPU suite's mode cases, fp32 NHWC among them
  timeout 300 .carry/kconv_gpu_tests -tc='gpu.precision_modes.every_mode*,gpu.precision_modes.wgmma_3xtf32_nhwc*,gpu.precision_modes.fp32_accurate*' \
    > "$out/nhwcmodes_tests.log" 2>&1
  echo "mode tests exit code: $?" >> "$out/nhwcmodes_tests.log"
fi
if has nhwcmodes; then  # against cuDNN in fp32 NHWC (and NCHW beside it)
  PYTHONUNBUFFERED=1 timeout 150 python3 bench/compare_torch.py --lib .carry/libkconv.so --math tf32 3xtf32 --dtype fp32 \
    --layout nhwc nchw --batches 256 32 1 --runs 30 --out "$out/nhwcmodes_alexnet" > "$out/nhwcmodes_alexnet.log" 2>&1
  PYTHONUNBUFFERED=1 timeout 100 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
    --only convnext_4x4s4 swin_4x4s4 alexnet_224 --math tf32 3xtf32 --dtype fp32 --layout nhwc --runs 30 \
    --out "$out/nhwcmodes_stems" > "$out/nhwcmodes_stems.log" 2>&1
fi
if has nhwcab2; then  # needs BASELINE=: the five band warps on 8-warp n64 and 4-warp configs, baseline against new
  nhwc_ab nhwcab2 "swin_n64|$patchify --k 128 --config m256n64_w8_k3x2" \
    "convnext_n64|$patchify --k 96 --config m256n64_w8_k3x2" "alexnet_n1|--n 1 --config _w4_k5x10" \
    "alexnet_n256|--n 256 --config m192n96_w12_k5x5"
  for run in "m64n96_w4_k5x10 async" "m256n64_w8_k3x2 async" "m256n64_w8_k3x2 tensor"; do
    read -r config copy <<<"$run"
    for tool in memcheck racecheck; do
      log="$out/nhwcab2_${tool}_40x300_${config}_$copy.log"
      KCONV_NHWC_BAND_COPY=$copy timeout 60 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench \
        --n 2 --c 3 --h 40 --w 300 --k 24 --r 11 --s 11 --stride 4 --pad 2 --layout nhwc --config "$config" \
        --runs 2 --warmup 0 > "$log" 2>&1
      echo "exit code: $?" >> "$log"
    done
  done
fi
if has nhwcgap; then
  .carry/kconv-bench --n 256 --layout nhwc --flush --config stem_wgmma --runs 50 > "$out/nhwcgap_bench_nhwc.log" 2>&1
  .carry/kconv-bench --n 256 --flush --config stem_wgmma --runs 50 > "$out/nhwcgap_bench_nchw.log" 2>&1
  for layout in nchw nhwc; do
    suffix=$([ "$layout" = nhwc ] && echo _nhwc)
    rep="$out/nhwcgap_$layout"
    timeout 150 ncu --clock-control none -k "regex:m192n96_w12_k5x5${suffix}\$" -c 1 --set full --import-source no \
      -f -o "$rep" .carry/kconv-bench --n 256 --layout "$layout" --config m192n96_w12_k5x5 --runs 1 --warmup 0 \
      > "$out/nhwcgap_ncu_$layout.log" 2>&1
    echo "exit code: $?" >> "$out/nhwcgap_ncu_$layout.log"
    ncu --import "$rep.ncu-rep" --page details > "$out/nhwcgap_details_$layout.log" 2>&1
    ncu --import "$rep.ncu-rep" --page raw --csv > "$out/nhwcgap_raw_$layout.txt" 2>&1
    ncu --import "$rep.ncu-rep" --page source --print-source sass --csv > "$out/nhwcgap_sass_$layout.txt" 2>&1
    rm -f "$rep.ncu-rep"
  done
fi
if has nhwccheck; then  # needs CARRY_LIBRARY=1
  # Every mode, shape and config with the async copies in fp32 NHWC at stride 4, then against cuDNN in fp32 NHWC
  # each copy way in one run: AlexNet (TF32, 3xTF32) and the stride-4 stems.
  KCONV_NHWC_BAND_COPY=async timeout 450 .carry/kconv_gpu_tests -tc='gpu.precision_modes*' \
    > "$out/nhwccheck_tests.log" 2>&1
  echo "mode tests exit code: $?" >> "$out/nhwccheck_tests.log"
  for copy in tensor async; do
    KCONV_NHWC_BAND_COPY=$copy PYTHONUNBUFFERED=1 timeout 150 python3 bench/compare_torch.py \
      --lib .carry/libkconv.so --math tf32 3xtf32 --dtype fp32 --layout nhwc --batches 256 32 1 --runs 30 \
      --out "$out/nhwccheck_alexnet_$copy" > "$out/nhwccheck_alexnet_$copy.log" 2>&1
    KCONV_NHWC_BAND_COPY=$copy PYTHONUNBUFFERED=1 timeout 120 python3 bench/compare_torch.py \
      --lib .carry/libkconv.so --suite stems --only convnext_4x4s4 swin_4x4s4 alexnet_224 --math tf32 3xtf32 \
      --dtype fp32 --layout nhwc --runs 30 --out "$out/nhwccheck_stems_$copy" > "$out/nhwccheck_stems_$copy.log" 2>&1
  done
fi
if has nhwcquick; then  # the smallest call that can decide the NHWC async copies: timings, sanitizers, stalls
  for copy in tensor async; do
    KCONV_NHWC_BAND_COPY=$copy .carry/kconv-bench --n 256 --layout nhwc --flush --config m192n96_w12 --runs 50 \
      > "$out/nhwcquick_bench_tf32_$copy.log" 2>&1
    KCONV_NHWC_BAND_COPY=$copy .carry/kconv-bench --n 256 --layout nhwc --math 3xtf32 --flush --config k3x3_x3 \
      --runs 50 > "$out/nhwcquick_bench_3xtf32_$copy.log" 2>&1
  done
  .carry/kconv-bench --n 256 --flush --config m192n96_w12 --runs 50 > "$out/nhwcquick_bench_tf32_nchw.log" 2>&1
  for run in "3xtf32 _x3" "tf32 m192n96_w12_k5x5"; do
    read -r math config <<<"$run"
    for tool in memcheck racecheck; do
      log="$out/nhwcquick_${tool}_40x300_${math}_$config.log"
      KCONV_NHWC_BAND_COPY=async timeout 60 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench \
        --n 2 --c 3 --h 40 --w 300 --k 24 --r 11 --s 11 --stride 4 --pad 2 --layout nhwc --math "$math" \
        --config "$config" --runs 2 --warmup 0 > "$log" 2>&1
      echo "exit code: $?" >> "$log"
    done
  done
  for copy in tensor async; do
    KCONV_NHWC_BAND_COPY=$copy timeout 60 ncu --clock-control none -k "regex:m192n96_w12_k5x5_nhwc\$" -c 1 \
      --section SpeedOfLight --section WarpStateStats --section SchedulerStats .carry/kconv-bench --n 256 \
      --layout nhwc --config m192n96_w12_k5x5 --runs 1 --warmup 0 > "$out/nhwcquick_ncu_$copy.log" 2>&1
  done
  for f in "$out"/nhwcquick_bench_*.log; do echo "== $(basename "$f")"; grep -E "m192n96_w12|k3x3_x3" "$f"; done
  for f in "$out"/nhwcquick_*check_*.log; do
    echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$f" | tr '\n' ' ')"
  done
  for f in "$out"/nhwcquick_ncu_*.log; do
    echo "== $(basename "$f")"; grep -E "Duration|Throughput|Issue Slots Busy|Warp Cycles Per Issued|No Eligible" "$f" | head -10
  done
fi
if has im2col3x; then  # EXPERIMENT_STEPS: tests, sanitize, bench, compare (default: all four)
  steps=" ${EXPERIMENT_STEPS:-tests sanitize bench compare} "
  [[ "$steps" == *" tests "* ]] && timeout 330 .carry/kconv_gpu_tests -tc='gpu.precision_modes.every_mode*,gpu.precision_modes.a_nan*' \
    > "$out/im2col3x_tests.log" 2>&1 && echo "mode tests exit code: 0" >> "$out/im2col3x_tests.log"
  for layout in nchw nhwc; do
    [[ "$steps" == *" sanitize "* ]] || break
    for run in "3xtf32 m128n96_w8_k4x3_x3" "fp32 m128n128_w8_k4x4_ffma" "tf32 m128n192_w8_k4x4_io"; do
      read -r math config <<<"$run"
      for shape in "--h 64 --w 64 --k 200 --r 16 --s 16 --stride 16 --pad 0" "--h 50 --w 50 --k 100 --r 7 --s 7 --stride 3 --pad 3"; do
        for tool in memcheck racecheck; do
          log="$out/im2col3x_${tool}_${layout}_${config}_${shape//[^0-9a-z]/_}.log"
          timeout 60 compute-sanitizer --tool "$tool" --print-limit 20 .carry/kconv-bench --n 2 --c 3 $shape \
            --math "$math" --layout "$layout" --config "$config" --runs 2 --warmup 0 > "$log" 2>&1
          echo "exit code: $?" >> "$log"
        done
      done
    done
  done
  vit=(--c 3 --h 224 --w 224 --k 768 --r 16 --s 16 --stride 16 --pad 0)
  for layout in nchw nhwc; do
    [[ "$steps" == *" bench "* ]] || break
    for run in "3xtf32 _x3" "3xtf32 implicit_gemm_tf32/m64n64k16_w4_s4_x3" "fp32 _ffma" "fp32 implicit_gemm_ffma" \
      "tf32 im2col_wgmma"; do
      read -r math config <<<"$run"
      .carry/kconv-bench "${vit[@]}" --n 64 --math "$math" --layout "$layout" --flush --config "$config" --runs 50 \
        > "$out/im2col3x_bench_${layout}_${math}_${config//\//_}.log" 2>&1
    done
  done
  [[ "$steps" == *" compare "* ]] && PYTHONUNBUFFERED=1 timeout 120 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems --only vit_b16 \
    --math 3xtf32 fp32 tf32 --dtype fp32 fp16 --layout nchw nhwc --runs 30 --out "$out/im2col3x_vit" > "$out/im2col3x_vit.log" 2>&1
  grep -hE "test cases|assertions|exit code|ERROR:|relative_l2|values:" "$out"/im2col3x_tests.log 2>/dev/null | head -30
  for f in "$out"/im2col3x_*check_*.log; do
    echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$f" | tr '\n' ' ')"
  done
  for f in "$out"/im2col3x_bench_*.log; do echo "== $(basename "$f")"; grep -E "^(im2col|implicit)" "$f"; done
  [ -f "$out/im2col3x_vit.log" ] && tail -12 "$out/im2col3x_vit.log"
fi
if has im2colprof; then  # ncu --set full of ViT N = 64 on the im2col family: strict FP32 (ffma) and 3xTF32 (split)
  vit=(--c 3 --h 224 --w 224 --k 768 --r 16 --s 16 --stride 16 --pad 0 --n 64)
  for run in "fp32 nchw m128n128_w8_k4x4_ffma" "3xtf32 nchw m128n96_w8_k4x3_x3"; do
    read -r math layout config <<<"$run"
    suffix=$([ "$layout" = nhwc ] && echo _nhwc)
    rep="$out/im2colprof_${math}_${layout}"
    timeout 150 ncu --clock-control none -k "regex:${config}${suffix}\$" -c 1 --set full --import-source no -f -o "$rep" \
      .carry/kconv-bench "${vit[@]}" --math "$math" --layout "$layout" --config "$config" --runs 1 --warmup 0 \
      > "$out/im2colprof_ncu_${math}_$layout.log" 2>&1
    ncu --import "$rep.ncu-rep" --page details > "$out/im2colprof_details_${math}_$layout.log" 2>&1
    ncu --import "$rep.ncu-rep" --page source --print-source sass --csv > "$out/im2colprof_sass_${math}_$layout.txt" 2>&1
    rm -f "$rep.ncu-rep"
  done
  for f in "$out"/im2colprof_details_*.log; do
    echo "== $(basename "$f")"
    grep -E "^ +(Duration|Compute \(SM\) Throughput|Memory Throughput|Issue Slots Busy|Warp Cycles Per Issued|No Eligible|Executed Instructions |L1/TEX Hit Rate|L2 Hit Rate|DRAM Throughput|Mem Pipes Busy|Registers Per|Stall)" "$f" | head -14
  done
fi
if has compare; then
  PYTHONUNBUFFERED=1 python3 bench/compare_torch.py --lib .carry/libkconv.so --triton .carry/starting_triton_kernel.py \
    > "$out/compare_torch.log" 2>&1
fi

echo
[ -f "$out/gpu_tests.log" ] && grep -E "test cases|assertions|exit code" "$out/gpu_tests.log"
for f in "$out"/bench_*.log; do [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "choice|fastest" "$f"; }; done
for f in "$out"/tune_*.log; do [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "<- |^winner|^why" "$f"; }; done
for f in "$out"/racecheck_*.log "$out"/sanitize_*.log; do
  [ -f "$f" ] && echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$f" | tr '\n' ' ')"
done
[ -f "$out/ab.txt" ] && cat "$out/ab.txt"
for f in "$out"/multigpu_*.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "multi_gpu:|skipped|test cases|ERROR SUMMARY|exit code|passed|images|against one|^ +[0-9]+ +[0-9.]+ " "$f"; }
done
[ -f "$out/compare_torch.log" ] && tail -6 "$out/compare_torch.log"
for f in "$out"/pairrows_*.log "$out"/wgmma3x_*.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "test cases|assertions|ERROR SUMMARY|RACECHECK SUMMARY|exit code|choice|fastest|MISMATCH" "$f"; [[ "$f" == *compare* || "$f" == *stems* ]] && tail -8 "$f"; }
done
for f in "$out"/ffma3x3_*.log "$out"/im2colio_configs_*.log "$out"/im2colio_stems.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; tail -14 "$f"; }
done
for f in "$out"/deepring_configs_*.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "k3x|k5x5|choice" "$f"; }
done
for f in "$out"/deepring_ncu_*.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "Duration|Throughput|Warp Cycles Per Issued|Issue Slots Busy|Shared|exit code" "$f" | head -14; }
done
for f in "$out"/deepring_memcheck_*.log "$out"/deepring_racecheck_*.log; do
  [ -f "$f" ] && echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$f" | tr '\n' ' ')"
done
for f in "$out"/widenraw_configs_*.log "$out"/widenraw_stems_*.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; tail -8 "$f"; }
done
for f in "$out"/widenraw_tests.log "$out"/widenraw_tests16.log "$out"/widenraw_memcheck_*.log "$out"/widenraw_racecheck_*.log; do
  [ -f "$f" ] && echo "== $(basename "$f"): $(grep -hE "test cases|ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$f" | tr '\n' ' ')"
done
for f in "$out"/im2colio_tests.log "$out"/im2colio_memcheck_*.log; do
  [ -f "$f" ] && echo "== $(basename "$f"): $(grep -hE "test cases|ERROR SUMMARY|exit code|outside" "$f" | tr '\n' ' ')"
done
for f in "$out"/nhwcsan_*.log; do
  [ -f "$f" ] && echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code|fastest|choice" "$f" | tr '\n' ' ')"
done
[ -f "$out/nhwccheck_tests.log" ] && grep -E "test cases|assertions|exit code" "$out/nhwccheck_tests.log"
for f in "$out"/nhwccheck_*_*.log; do [ -f "$f" ] && { echo "== $(basename "$f")"; tail -12 "$f"; }; done
for f in "$out"/nhwcprof_bench_*.log; do [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "k5x5 |k3x8 |k5x3 |k3x3_x3 |k5x3_x3 |choice|fastest" "$f"; }; done
for f in "$out"/nhwcprof_ncu_*.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "^ +(Duration|Memory Throughput|Compute \(SM\) Throughput|Issue Slots Busy|Warp Cycles Per Issued|Executed Instructions |L2 Hit Rate|L1/TEX Hit Rate|Mem Busy|Max Bandwidth|DRAM Throughput|Registers Per|Stall)" "$f" | head -16; }
done
[ -f "$out/nhwcmodes_tests.log" ] && grep -E "test cases|assertions|exit code" "$out/nhwcmodes_tests.log"
for f in "$out"/nhwcmodes_alexnet.log "$out"/nhwcmodes_stems.log; do [ -f "$f" ] && { echo "== $(basename "$f")"; tail -16 "$f"; }; done
[ -f "$out/nhwcab2.txt" ] && sort -k3,3 -k4,4 -k6,6 -k5,5 -k2,2 "$out/nhwcab2.txt"
for f in "$out"/nhwcab2_*check_*.log; do
  [ -f "$f" ] && echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code|skipped" "$f" | tr '\n' ' ')"
done
[ -f "$out/nhwcab.txt" ] && sort -k3,3 -k4,4 -k6,6 -k5,5 -k2,2 "$out/nhwcab.txt"
for f in "$out"/nhwcab_*check_*.log; do
  [ -f "$f" ] && echo "== $(basename "$f"): $(grep -hE "ERROR SUMMARY|RACECHECK SUMMARY|exit code" "$f" | tr '\n' ' ')"
done
for f in "$out"/nhwcgap_bench_*.log; do [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "k5x5 |k3x8 |k5x3 |k3x5 |choice|fastest" "$f"; }; done
for f in "$out"/nhwcgap_details_*.log; do
  [ -f "$f" ] && { echo "== $(basename "$f")"; grep -E "^ +(Duration|Compute \(SM\) Throughput|Issue Slots Busy|Warp Cycles Per Issued|No Eligible|Executed Instructions |L1/TEX Hit Rate|DRAM Throughput)" "$f" | head -10; }
done
# The device tool returns a few files only: one archive of every log.
# A stage that wrote no *.cache or *.lock leaves tar a pattern to miss: not a failure of the run.
(cd "$out" && tar czf logs.tar.gz --remove-files ./*.log ./*.txt ./*.cache ./*.lock 2>/dev/null) || true
