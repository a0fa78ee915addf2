#!/usr/bin/env bash
# The pending RGB widening pass and five band warps at strides 2 and 1 (bench/NOTES.md, thirty-eighth session),
# on the GPU machine: main's kconv-bench (.carry/baseline, BASELINE= in prepare_carry), rgb_widening.patch alone
# (.carry/rgb-bench.xz: its kconv-bench, stripped and xz-compressed), and both patches (this build, bw5;
# the suite and sanitizers run on bw5).
# Usage: bash rgb_ab.sh [ab|alex]   (ab: sanitizers, GPU cases, the A/B and cuDNN, ~450 s; alex: AlexNet's configs)
out=${OUT:-/tmp/kconv-out}; mkdir -p "$out"
tar xJf .carry/bins.tar.xz -C .carry && rm -f .carry/bins.tar.xz
mkdir -p .carry/rgb && xz -dc .carry/rgb-bench.xz > .carry/rgb/kconv-bench && chmod +x .carry/rgb/kconv-bench
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
stage=${1:-ab}
mb="--c 3 --h 224 --w 224 --k 32 --r 3 --s 3 --stride 2 --pad 1 --bias=false"
rn="--c 3 --h 224 --w 224 --k 64 --r 7 --s 7 --stride 2 --pad 3 --bias=false"
vg="--c 3 --h 224 --w 224 --k 64 --r 3 --s 3 --stride 1 --pad 1"
if [ "$stage" = ab ]; then
# correctness first: sanitizers on every shift (VGG's four planes) and types, then the GPU cases
for c in "mb $mb --dtype fp16 --config stem_wgmma_tf32/m512n32_w8_k5x2_p2" "rn $rn --dtype fp32 --config stem_wgmma_tf32/m256n64_w8_k7x3_p2" \
         "vg $vg --dtype bf16 --config stem_wgmma_tf32/m256n64_w8_k5x2_p4"; do
  read -r name rest <<<"$c"
  tools="memcheck"; [ $name = mb ] && tools="memcheck racecheck"
  for tool in $tools; do
    timeout 90 compute-sanitizer --tool $tool --print-limit 10 .carry/kconv-bench $rest --n 3 --layout nhwc --runs 2 --warmup 0 \
      > "$out/${tool}_$name.log" 2>&1
    echo "$tool $name: $(grep -h 'ERROR SUMMARY\|RACECHECK SUMMARY' "$out/${tool}_$name.log" | head -1) $(grep -c ' ok' "$out/${tool}_$name.log")"
  done
done
timeout 100 .carry/kconv_gpu_tests -tc="gpu.precision_modes.16_bit*,gpu.precision_modes.every_mode*,gpu.precision_modes.early_raw*,gpu.precision_modes.a_nan*" \
  > "$out/tests.log" 2>&1; echo "tests exit code: $?"
grep -E "test cases|assertions|FAILED|ERROR" "$out/tests.log" | head -10
cases=(
  "mobilenet $mb 64 fp16 m512n32_w8_k5x2_p2" "mobilenet $mb 64 fp32 m512n32_w8_k5x2_p2"
  "resnet $rn 64 fp16 m256n64_w8_k7x3_p2" "resnet $rn 64 fp32 m256n64_w8_k7x3_p2"
  "vgg $vg 64 fp16 m256n64_w8_k5x2_p4")
ncases=("mobilenet $mb 64 fp16 m512n32_w8_k5x2_p2" "resnet $rn 64 fp16 m256n64_w8_k7x3_p2" "vgg $vg 64 fp16 m256n64_w8_k5x2_p4")
for round in 1 2; do
  for c in "${cases[@]}"; do
    read -r name rest <<<"$c"; set -- $rest; cfg=${@: -1}; dtype=${@: -2:1}; n=${@: -3:1}; shape=("${@:1:$(($#-3))}")
    for side in baseline rgb bw5; do
      bin=.carry/kconv-bench; [ $side = baseline ] && bin=.carry/baseline/kconv-bench; [ $side = rgb ] && bin=.carry/rgb/kconv-bench
      v=$(timeout 40 $bin "${shape[@]}" --n $n --dtype $dtype --layout nhwc --config stem_wgmma_tf32/$cfg --flush --runs 40 \
        2>&1 | grep -E "^stem_wgmma" | awk '{print $2, $8}')
      echo "r$round $name $dtype n$n $cfg $side $v" >> "$out/ab.log"
    done
  done
  for c in "${ncases[@]}"; do
    read -r name rest <<<"$c"; set -- $rest; cfg=${@: -1}; dtype=${@: -2:1}; n=${@: -3:1}; shape=("${@:1:$(($#-3))}")
    for side in baseline bw5; do
      bin=.carry/kconv-bench; [ $side = baseline ] && bin=.carry/baseline/kconv-bench
      v=$(timeout 40 $bin "${shape[@]}" --n $n --dtype $dtype --layout nchw --config stem_wgmma_tf32/$cfg --flush --runs 40 \
        2>&1 | grep -E "^stem_wgmma" | awk '{print $2, $8}')
      echo "r$round $name-nchw $dtype n$n $cfg $side $v" >> "$out/ab.log"
    done
  done
done
PYTHONUNBUFFERED=1 timeout 70 python3 bench/compare_torch.py --lib .carry/libkconv.so --suite stems \
  --only resnet_7x7s2 mobilenet_3x3s2 vgg_3x3s1 --dtype fp16 --layout nhwc --runs 20 --out "$out/cmp_nhwc" > "$out/cmp_nhwc.log" 2>&1
tail -5 "$out/cmp_nhwc.log" | cut -c1-110
cat "$out/ab.log"
fi
if [ "$stage" = alex ]; then
# AlexNet 16-bit on the whole-weight rings (phases = 1: neither patch changes them): NCHW's ping-pong k3x9 against
# the 12-warp k3x9 and k3x8, and NHWC's choice against w12_k3x9, for the config choice.
for round in 1 2; do
  for n in 256 32; do
    for lay in nchw nhwc; do
      for cfg in m256n96_w8_k3x9 m256n96_w8_k3x5 m192n96_w12_k3x9 m192n96_w12_k3x8 m192n96_w12_k5x5; do
        v=$(timeout 40 .carry/kconv-bench --n $n --dtype fp16 --layout $lay --config stem_wgmma_tf32/$cfg --flush --runs 40 \
          2>&1 | grep -E "^stem_wgmma" | awk '{print $2, $8}')
        echo "r$round alexnet fp16 $lay n$n $cfg $v" >> "$out/alex.log"
      done
      for cfg in m192n96_w12_k5x5 m192n96_w12_k3x9; do  # whether fp32 TF32 would lose with w12_k3x9 listed
        v=$(timeout 40 .carry/kconv-bench --n $n --dtype fp32 --layout $lay --config stem_wgmma_tf32/$cfg --flush --runs 40 \
          2>&1 | grep -E "^stem_wgmma" | awk '{print $2, $8}')
        echo "r$round alexnet fp32 $lay n$n $cfg $v" >> "$out/alex.log"
      done
    done
  done
done
# ncu of AlexNet fp16 N = 256 on NCHW's ping-pong k3x9 and NHWC's w12_k3x9: where the consumers' and producers'
# warps stall, per SASS instruction (the source page), for the next design step
for spec in "nchw m256n96_w8_k3x9 w8_k3x9_f16_k16$" "nhwc m192n96_w12_k3x9 w12_k3x9_f16_nhwc_k16$"; do
  read -r lay cfg re <<<"$spec"
  timeout 150 ncu --clock-control none --set full --kernel-name-base function -k "regex:$re" -c 1 -f -o "$out/ncu_$lay" \
    .carry/kconv-bench --n 256 --dtype fp16 --layout $lay --config stem_wgmma_tf32/$cfg --runs 1 --warmup 1 \
    > "$out/ncu_$lay.log" 2>&1
  ncu --import "$out/ncu_$lay.ncu-rep" --page source --csv --print-source sass > "$out/ncu_${lay}_sass.csv" 2>&1
  ncu --import "$out/ncu_$lay.ncu-rep" --page details > "$out/ncu_${lay}_details.txt" 2>&1
  echo "ncu $lay: $(grep -E '^ +(Duration|Executed Instructions|Issue Slots Busy|DRAM Throughput) ' \
    "$out/ncu_${lay}_details.txt" | awk '{print $1, $(NF)}' | tr '\n' ' ')"
done
cat "$out/alex.log"
fi
