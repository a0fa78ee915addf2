#!/usr/bin/env bash
# The RGB widening pass with five band warps only where they won (thirty-ninth session): sanitizers and the GPU
# cases on this build, then two alternating rounds against main (.carry/baseline) and the RGB pass with three
# band warps everywhere (.carry/rgb-bench.xz), fp32 NHWC's wgmma against stem_ffma (the LeftToStrictFp32 rule),
# the cuDNN ratios, AlexNet's whole-ring configs, and ncu of AlexNet fp16 k3x9 last (cut off if time runs out).
out=${OUT:-/tmp/kconv-out}; mkdir -p "$out"
tar xJf .carry/bins.tar.xz -C .carry && rm -f .carry/bins.tar.xz
mkdir -p .carry/rgb && xz -dc .carry/rgb-bench.xz > .carry/rgb/kconv-bench && chmod +x .carry/rgb/kconv-bench
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
mb="--c 3 --h 224 --w 224 --k 32 --r 3 --s 3 --stride 2 --pad 1 --bias=false"
rn="--c 3 --h 224 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3 --bias=false"
vg="--c 3 --h 224 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1"
W=stem_wgmma_tf32
for c in "mb memcheck $mb --dtype fp16 --config $W/m512n32_w8_k5x2_p2" "mb racecheck $mb --dtype fp16 --config $W/m512n32_w8_k5x2_p2" \
         "rn memcheck $rn --dtype fp32 --config $W/m256n64_w8_k7x3_p2" "vg memcheck $vg --dtype bf16 --config $W/m256n64_w8_k5x2_p4"; do
  read -r name tool rest <<<"$c"
  timeout 90 compute-sanitizer --tool $tool --print-limit 10 .carry/kconv-bench $rest --n 3 --layout nhwc --runs 2 --warmup 0 \
    > "$out/${tool}_$name.log" 2>&1
  echo "$tool $name: $(grep -h 'ERROR SUMMARY\|RACECHECK SUMMARY' "$out/${tool}_$name.log" | head -1) $(grep -c ' ok' "$out/${tool}_$name.log")"
done
timeout 100 .carry/kconv_gpu_tests -tc="gpu.precision_modes.16_bit*,gpu.precision_modes.every_mode*,gpu.precision_modes.early_raw*,gpu.precision_modes.a_nan*" \
  > "$out/tests.log" 2>&1; echo "tests exit code: $?"
grep -E "test cases|assertions|FAILED|ERROR" "$out/tests.log" | head -10
bench() {  # side binary shape... -> "median check"
  local bin=.carry/kconv-bench; [ "$1" = baseline ] && bin=.carry/baseline/kconv-bench; [ "$1" = rgb ] && bin=.carry/rgb/kconv-bench
  shift; timeout 40 $bin "$@" --flush --runs 40 2>&1 | grep -E "^stem_" | awk '{print $1, $2, $8}' | sort -k2 -g | head -1
}
for round in 1 2; do
  for c in "mobilenet nhwc fp16 $W/m512n32_w8_k5x2_p2 $mb" "resnet nhwc fp16 $W/m256n64_w8_k7x3_p2 $rn" \
           "vgg nhwc fp16 $W/m256n64_w8_k5x2_p4 $vg" "mobilenet nchw fp16 $W/m512n32_w8_k5x2_p2 $mb" \
           "resnet nchw fp16 $W/m256n64_w8_k7x3_p2 $rn" "vgg nchw fp16 $W/m256n64_w8_k5x2_p4 $vg" \
           "mobilenet nhwc fp32 $W/m512n32_w8_k5x2_p2 $mb" "resnet nhwc fp32 $W/m256n64_w8_k7x3_p2 $rn" \
           "vgg nhwc fp32 $W/m256n64_w8_k5x2_p4 $vg" "mobilenet nhwc fp32 stem_ffma $mb" "vgg nhwc fp32 stem_ffma $vg"; do
    read -r name lay dtype cfg rest <<<"$c"
    sides="baseline rgb new"; [ $lay = nchw ] && sides="baseline new"; [ $cfg = stem_ffma ] && sides="new"
    for side in $sides; do
      echo "r$round $name $lay $dtype $side $(bench $side $rest --n 64 --dtype $dtype --layout $lay --config $cfg)" >> "$out/ab.log"
    done
  done
done
cat "$out/ab.log"
for mode in "--dtype fp16 --layout nhwc" "--dtype fp16 --layout nchw" "--dtype fp32 --layout nhwc"; do
  tag=$(echo $mode | awk '{print $2 "_" $4}')
  PYTHONUNBUFFERED=1 timeout 60 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
    --only resnet_7x7s2 mobilenet_3x3s2 vgg_3x3s1 $mode --runs 20 --out "$out/cmp_$tag" > "$out/cmp_$tag.log" 2>&1
  grep -E "^(resnet|mobilenet|vgg)" "$out/cmp_$tag.log" | cut -c1-100
done
for c in "fp16 nchw m256n96_w8_k3x9" "fp16 nchw m192n96_w12_k3x9" "fp16 nhwc m256n96_w8_k3x5" "fp16 nhwc m192n96_w12_k3x9" \
         "fp32 nchw m192n96_w12_k5x5" "fp32 nchw m192n96_w12_k3x9" "fp32 nhwc m192n96_w12_k5x5" "fp32 nhwc m192n96_w12_k3x9"; do
  read -r dtype lay cfg <<<"$c"
  echo "alexnet n256 $dtype $lay $(bench new --n 256 --dtype $dtype --layout $lay --config $W/$cfg)" | tee -a "$out/alex.log"
done
for spec in "nchw m256n96_w8_k3x9 w8_k3x9_f16_k16$" "nhwc m192n96_w12_k3x9 w12_k3x9_f16_nhwc_k16$"; do
  read -r lay cfg re <<<"$spec"
  timeout 100 ncu --clock-control none --set full --kernel-name-base function -k "regex:$re" -c 1 -f -o "$out/ncu_$lay" \
    .carry/kconv-bench --n 256 --dtype fp16 --layout $lay --config $W/$cfg --runs 1 --warmup 1 > "$out/ncu_$lay.log" 2>&1
  ncu --import "$out/ncu_$lay.ncu-rep" --page source --csv --print-source sass > "$out/ncu_${lay}_sass.csv" 2>&1
  ncu --import "$out/ncu_$lay.ncu-rep" --page details > "$out/ncu_${lay}_details.txt" 2>&1
  echo "ncu $lay done"
done
