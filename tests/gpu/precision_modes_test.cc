// SPDX-License-Identifier: Apache-2.0
// Every math mode, element type and layout on every shape of the suite, through every config that accepts
// it and kconv's choice (and the forced-PTX path), against the float64 reference of the values the typed
// tensors hold: fresh random inputs, a NaN-poisoned output, and the bars on the relative L2 error.
#include <doctest/doctest.h>

#include <stdint.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gpu_harness.h"
#include "kconv/kconv.h"
#include "shapes.h"

namespace kconv_test {
namespace {

struct Mode {
  const char* name;  // CAPTURE and MESSAGE print a const char* as a pointer: wrap it in std::string
  TensorMode tensors;
  int32_t math;
  double max_relative_l2;
};

constexpr Mode kModes[] = {
    {"fp32 NCHW 3xTF32", {0, 0}, KCONV_MATH_3XTF32, 5e-6}, {"fp32 NCHW FP32", {0, 0}, KCONV_MATH_FP32, 5e-6},
    {"fp32 NHWC TF32", {0, 1}, KCONV_MATH_TF32, 1e-3},     {"fp32 NHWC 3xTF32", {0, 1}, KCONV_MATH_3XTF32, 5e-6},
    {"fp32 NHWC FP32", {0, 1}, KCONV_MATH_FP32, 5e-6},     {"fp16 NCHW", {1, 0}, KCONV_MATH_TF32, 2e-3},
    {"fp16 NHWC", {1, 1}, KCONV_MATH_TF32, 2e-3},          {"bf16 NCHW", {2, 0}, KCONV_MATH_TF32, 1e-2},
    {"bf16 NHWC", {2, 1}, KCONV_MATH_TF32, 1e-2},
};

struct ContextDeleter {
  void operator()(kconv_context* c) const { kconv_context_destroy(c); }
};
struct PlanDeleter {
  void operator()(kconv_plan* p) const { kconv_plan_destroy(p); }
};

std::unique_ptr<kconv_context, ContextDeleter> MakeContext(bool force_ptx) {
  kconv_context_options o;
  kconv_context_options_init(&o);
  o.force_ptx = force_ptx ? 1 : 0;
  kconv_context* ctx = nullptr;
  REQUIRE_MESSAGE(kconv_context_create(&o, &ctx) == KCONV_STATUS_OK, kconv_last_error_message());
  return std::unique_ptr<kconv_context, ContextDeleter>(ctx);
}

kconv_conv_desc DescIn(const Shape& s, const Mode& mode) {
  kconv_conv_desc d = s.Desc();
  d.element_type = mode.tensors.type;
  d.layout = mode.tensors.layout;
  d.math_mode = mode.math;
  return d;
}

// One shape's tensors in one mode: the fp32 NCHW buffers (rounded to the type, the reference computed from
// them) and their typed, laid-out copies.
struct ModeBuffers {
  ModeBuffers(const Shape& s, const Mode& mode)
      : fp32(s),
        x(s.XElements() * mode.tensors.Bytes()),
        w(s.WElements() * mode.tensors.Bytes()),
        y((s.YElements() * mode.tensors.Bytes() + 3) / 4 * 4),  // whole words, for the poisoning
        mode(mode) {}
  void Refresh() {
    fp32.Refresh();
    const Shape& s = fp32.shape;
    if (special_at >= 0) {  // one NaN or Inf in x, carried into the type and layout (the reference is not used)
      REQUIRE(GpuDriver()->cuMemcpyHtoD(fp32.x.get() + static_cast<CUdeviceptr>(special_at) * 4, &special, 4) ==
              CUDA_SUCCESS);
    }
    if (mode.tensors.type != 0) {
      RoundToType(fp32.x, s.XElements(), mode.tensors.type);
      RoundToType(fp32.w, s.WElements(), mode.tensors.type);
      ReferenceConvOnDevice(s, fp32.x.get(), fp32.w.get(), s.bias ? fp32.bias.get() : 0, fp32.y_ref);
    }
    ToMode(fp32.x, x, s.n, s.c, s.h, s.w, mode.tensors);
    ToMode(fp32.w, w, s.k, s.c, s.r, s.s, TensorMode{mode.tensors.type, 0});  // weights stay KCRS
    REQUIRE(GpuDriver()->cuMemsetD32(y.get(), 0xffffffffu, y.bytes() / 4) == CUDA_SUCCESS);  // NaN in every type
  }
  // Runs the plan and converts its output back into fp32.y (NCHW fp32).
  Comparison Run(const kconv_plan* plan) {
    Refresh();
    const Shape& s = fp32.shape;
    REQUIRE_MESSAGE(kconv_plan_execute(plan, x.get(), w.get(), s.bias ? fp32.bias.get() : 0, y.get(), nullptr) ==
                        KCONV_STATUS_OK,
                    kconv_last_error_message());
    REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
    FromMode(y, fp32.y, s.n, s.k, s.P(), s.Q(), mode.tensors);
    return CompareWithReference(fp32, mode.tensors.SmallestNormal());
  }
  ConvBuffers fp32;
  DeviceBuffer x, w, y;
  Mode mode;
  int64_t special_at = -1;  // NCHW index of x that Refresh sets to `special`; -1: none
  float special = NAN;
};

// Plans `config` (nullptr: kconv's choice) for `s` in `mode`; null if the config refuses it.
std::unique_ptr<kconv_plan, PlanDeleter> MakePlan(kconv_context* ctx, const Shape& s, const Mode& mode,
                                                  const char* config) {
  const kconv_conv_desc d = DescIn(s, mode);
  kconv_plan_options o;
  kconv_plan_options_init(&o);
  o.config_name = config;
  kconv_plan* plan = nullptr;
  const kconv_status st = kconv_plan_create(ctx, &d, &o, &plan);
  if (st == KCONV_STATUS_UNIMPLEMENTED && config != nullptr) return nullptr;
  REQUIRE_MESSAGE(st == KCONV_STATUS_OK, kconv_last_error_message());
  return std::unique_ptr<kconv_plan, PlanDeleter>(plan);
}

// Calls check(buffers, plan) for each of `shapes` in `mode`, through kconv's choice and every config that
// accepts the shape (with `family`, only that family's configs, not kconv's choice), with the mode, shape and
// config captured for its failures; the plans checked.
template <class Check>
int ForEachPlan(kconv_context* ctx, const std::vector<Shape>& shapes, const Mode& mode, Check check,
                const std::string& family = "") {
  int plans = 0;
  for (const Shape& s : shapes) {
    ModeBuffers buffers(s, mode);
    for (int i = family.empty() ? -1 : 0; i < kconv_config_count(); ++i) {
      const char* config = i < 0 ? nullptr : kconv_config_name(i);
      if (!family.empty() && std::string(config).rfind(family + "/", 0) != 0) continue;
      auto plan = MakePlan(ctx, s, mode, config);
      if (plan == nullptr) continue;
      const std::string mode_name = mode.name, config_name = config ? config : "(kconv's choice)";
      CAPTURE(mode_name);
      CAPTURE(s.Name());
      CAPTURE(config_name);
      check(buffers, plan.get());
      ++plans;
    }
  }
  return plans;
}

// Every shape of the suite in `mode`, through kconv's choice and every config that accepts it, against the
// mode's bar on the relative L2 error; the plans checked.
int CheckEveryShapeAndConfig(kconv_context* ctx, const Mode& mode) {
  const int plans = ForEachPlan(ctx, GpuTestShapes(), mode, [&](ModeBuffers& buffers, const kconv_plan* plan) {
    const Comparison c = buffers.Run(plan);
    CHECK(c.nan_count == 0);
    CHECK(c.relative_l2 <= mode.max_relative_l2);
  });
  MESSAGE(std::string(mode.name) << ": " << plans << " plans checked");
  return plans;
}

// What IEEE arithmetic makes of an output whose window holds `special` (NaN or +Inf) at weight w, the other
// terms finite: NaN, or Inf with w's sign (NaN where w is 0), through the ReLU if any.
float SpecialOutput(float special, float w, bool relu) {
  const float v = std::isnan(special) || w == 0.f ? NAN : std::copysign(INFINITY, w);
  return relu && v < 0.f ? 0.f : v;
}

// The mma.sync 3xTF32 kernels (families stem_tf32 and implicit_gemm_tf32) turn an Inf operand's outputs into
// NaN: their cross products of an Inf are Inf or NaN with the remainder's sign, and they are summed with the
// big product at every step (README, "Behaviour"). The wgmma kernels keep IEEE's Inf.
bool InfMayBecomeNaN(const kconv_plan* plan, const Mode& mode) {
  kconv_plan_info info;
  info.struct_size = sizeof(info);
  REQUIRE(kconv_plan_get_info(plan, &info) == KCONV_STATUS_OK);
  const std::string family = info.family;
  return mode.math == KCONV_MATH_3XTF32 && (family == "stem_tf32" || family == "implicit_gemm_tf32");
}

// `special` (NaN or +Inf) at x[0][1][h / 2][w / 2 + 1] through `plan` in `mode`: the outputs left wrong. Every
// output whose window holds it must be what IEEE arithmetic gives (SpecialOutput: it is not lost, and a zero
// fill or a rounding must not turn Inf into NaN; InfMayBecomeNaN's exception), and every output of another image, or farther
// from it than the chunk layouts' zero-weighted reach (their 4-column chunks, up to 4 columns either side in
// NHWC groups, and one row below a pair-row band's window of odd R: README, "Behaviour"), must stay finite.
int64_t MisplacedSpecials(ModeBuffers& buffers, const kconv_plan* plan, float special) {
  const Shape& s = buffers.fp32.shape;
  const int64_t at_h = s.h / 2, at_w = s.w / 2 + 1, channel = 1 % s.c, P = s.P(), Q = s.Q();
  buffers.special_at = (channel * s.h + at_h) * s.w + at_w;
  buffers.special = special;
  buffers.Run(plan);
  buffers.special_at = -1;
  const std::vector<float> y = Download(buffers.fp32.y, s.YElements());
  const std::vector<float> w = Download(buffers.fp32.w, s.WElements());  // the values the typed weights hold
  const bool inf_may_become_nan = InfMayBecomeNaN(plan, buffers.mode);
  int64_t wrong = 0;
  for (int64_t img = 0; img < s.n; ++img)
    for (int64_t k = 0; k < s.k; ++k)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q) {
          const float v = y[static_cast<size_t>(((img * s.k + k) * P + p) * Q + q)];
          const int64_t dh = at_h - (p * s.stride_h - s.pad_h), dw = at_w - (q * s.stride_w - s.pad_w);
          const bool in_field = img == 0 && dh >= 0 && dh < s.r && dw >= 0 && dw < s.s;
          const bool in_reach = img == 0 && dh >= 0 && dh <= s.r && dw >= -4 && dw < 4 * ((s.s + 3) / 4) + 4;
          if (in_field) {
            const float expected =
                SpecialOutput(special, w[static_cast<size_t>(((k * s.c + channel) * s.r + dh) * s.s + dw)], s.relu);
            const bool nan_allowed = std::isnan(expected) || (std::isinf(special) && inf_may_become_nan);
            if (nan_allowed && std::isnan(v)) continue;
            if (v != expected) ++wrong;
          }
          if (!in_reach && !std::isfinite(v)) ++wrong;
        }
  return wrong;
}

// MisplacedSpecials of a NaN and of an Inf for `mode`, through kconv's choice and every config that accepts
// each shape: AlexNet conv1 (odd R, stride 4), a 3x3 at vertical stride 2, horizontal 4, a patchify with
// ReLU (which must keep NaN), and ResNet's 7x7/2 and VGG's 3x3/1 (the Hopper family's phase planes: odd R
// over pair-row planes, widened and gathered planes).
void CheckSpecialPlacement(kconv_context* ctx, const Mode& mode) {
  const std::vector<Shape> shapes = {AlexNetConv1(2), Shape{2, 3, 64, 64, 33, 3, 3, 2, 4, 1, 1},
                                     Shape{2, 3, 64, 64, 40, 8, 8, 8, 8, 0, 0, 1, 1, true, true},
                                     Shape{2, 3, 48, 64, 64, 7, 7, 2, 2, 3, 3}, Shape{1, 3, 24, 64, 32, 3, 3, 1, 1, 1, 1}};
  ForEachPlan(ctx, shapes, mode, [](ModeBuffers& buffers, const kconv_plan* plan) {
    CHECK(MisplacedSpecials(buffers, plan, NAN) == 0);
    CHECK(MisplacedSpecials(buffers, plan, INFINITY) == 0);
  });
}

// Outputs of kconv's choice for AlexNet conv1 at N = 32 in `mode` outside atol = rtol = 1e-4 of the float64
// reference (the elementwise bar for the fp32-accurate modes).
int64_t OutsideFp32BarAtAlexNet32(kconv_context* ctx, const Mode& mode) {
  const Shape s = AlexNetConv1(32);
  ModeBuffers buffers(s, mode);
  auto plan = MakePlan(ctx, s, mode, nullptr);
  buffers.Run(plan.get());
  const std::vector<float> out = Download(buffers.fp32.y, s.YElements());
  const std::vector<double> ref = DownloadDoubles(buffers.fp32.y_ref, s.YElements());
  return CountOutsideTolerance(out.data(), ref.data(), s.YElements(), 1e-4, 1e-4);
}

// fp32 3xTF32 in `layout` (0 NCHW, 1 NHWC) under whatever the caller's environment switches: every shape and
// config within the bar, special values in place, and the 1e-4 elementwise bar at AlexNet N = 32 through kconv's
// choice.
void Check3xTf32Everywhere(int32_t layout) {
  auto ctx = MakeContext(false);
  const Mode& mode = kModes[layout == 0 ? 0 : 3];
  REQUIRE(mode.math == KCONV_MATH_3XTF32);
  REQUIRE(mode.tensors.layout == layout);
  CheckEveryShapeAndConfig(ctx.get(), mode);
  CheckSpecialPlacement(ctx.get(), mode);
  CHECK(OutsideFp32BarAtAlexNet32(ctx.get(), mode) == 0);
}

}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("gpu.precision_modes.a_nan_or_inf_input_reaches_its_outputs_and_no_others_in_every_mode") {
    auto ctx = MakeContext(false);
    constexpr Mode kDefault = {"fp32 NCHW TF32", {0, 0}, KCONV_MATH_TF32, 1e-3};
    CheckSpecialPlacement(ctx.get(), kDefault);
    for (const Mode& mode : kModes) CheckSpecialPlacement(ctx.get(), mode);
  }

  TEST_CASE("gpu.precision_modes.every_mode_meets_its_accuracy_bar_on_every_shape_and_config") {
    auto ctx = MakeContext(false);
    for (const Mode& mode : kModes) {
      CHECK(CheckEveryShapeAndConfig(ctx.get(), mode) > static_cast<int>(GpuTestShapes().size()));
    }
  }

  // 16-bit NCHW outputs go out in 16-byte pieces lined up with y's 16-byte boundaries, each channel's run from
  // its own offset (the Hopper stem family's staging in the type), or in pairs and single elements. At every
  // 2-byte offset of y (each of the eight phases of a 16-byte piece), with channel planes of P*Q = 3025, 90, 35,
  // 868 and 1536 elements (1, 2, 3, 4 and 0 mod 8: consecutive channels start at different phases), and at
  // horizontal strides 4, 2 and 1, every config must give the reference and leave the elements around y as they
  // were.
  TEST_CASE("gpu.precision_modes.16_bit_outputs_at_every_2_byte_offset_are_correct_and_stay_in_bounds") {
    auto ctx = MakeContext(false);
    const std::vector<Shape> shapes = {AlexNetConv1(2), Shape{2, 1, 40, 41, 96, 5, 5, 4, 4, 0, 1},
                                       Shape{2, 3, 23, 31, 40, 11, 11, 4, 4, 2, 2},
                                       Shape{2, 3, 56, 62, 64, 7, 7, 2, 2, 3, 3, 1, 1, true, true},
                                       Shape{1, 3, 24, 64, 32, 3, 3, 1, 1, 1, 1}};
    for (const Mode& mode : kModes) {
      if (mode.tensors.type == 0 || mode.tensors.layout != 0) continue;
      int checked = 0;
      ForEachPlan(ctx.get(), shapes, mode, [&](ModeBuffers& buffers, const kconv_plan* plan) {
        const Shape& s = buffers.fp32.shape;
        const int64_t count = s.YElements();
        constexpr int64_t kAround = 8;  // poisoned elements either side of y at its largest offset
        DeviceBuffer wide(static_cast<size_t>(count + 2 * kAround) * 2);
        const std::vector<uint16_t> poison(static_cast<size_t>(count + 2 * kAround), 0xffff);  // NaN in both types
        for (int64_t offset = 0; offset < kAround; ++offset) {
          CAPTURE(offset);
          buffers.Refresh();
          REQUIRE(GpuDriver()->cuMemcpyHtoD(wide.get(), poison.data(), poison.size() * 2) == CUDA_SUCCESS);
          REQUIRE_MESSAGE(kconv_plan_execute(plan, buffers.x.get(), buffers.w.get(), s.bias ? buffers.fp32.bias.get() : 0,
                                             wide.get() + 2 * offset, nullptr) == KCONV_STATUS_OK,
                          kconv_last_error_message());
          REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
          std::vector<uint16_t> all(poison.size());
          REQUIRE(GpuDriver()->cuMemcpyDtoH(all.data(), wide.get(), all.size() * 2) == CUDA_SUCCESS);
          int64_t written_outside = 0;
          for (int64_t e = 0; e < static_cast<int64_t>(all.size()); ++e) {
            if ((e < offset || e >= offset + count) && all[static_cast<size_t>(e)] != 0xffff) ++written_outside;
          }
          CHECK(written_outside == 0);
          REQUIRE(GpuDriver()->cuMemcpyHtoD(buffers.y.get(), all.data() + offset, count * 2) == CUDA_SUCCESS);
          FromMode(buffers.y, buffers.fp32.y, s.n, s.k, s.P(), s.Q(), mode.tensors);
          const Comparison c = CompareWithReference(buffers.fp32, mode.tensors.SmallestNormal());
          CHECK(c.nan_count == 0);
          CHECK(c.relative_l2 <= mode.max_relative_l2);
        }
        ++checked;
      });
      MESSAGE(std::string(mode.name) << ": " << checked << " plans at 8 offsets");
      CHECK(checked > static_cast<int>(shapes.size()));
    }
  }

  // The Hopper stem family's pair-row kernels (16-bit NCHW bands in the type, and NHWC's at stride 4, wgmma k16)
  // are the default, with a tensor copy of raw rows where the launch allows (KCONV_PAIR_ROWS unset: the suite's
  // other cases). The other two ways, again over the 16-bit modes of both layouts, every shape and config: 1, the
  // producers copying the band, and 0, bands widened to TF32. Elsewhere than on Hopper, or for shapes they do not
  // take, this repeats the other kernels' checks.
  TEST_CASE("gpu.precision_modes.pair_row_kernels_meet_the_16_bit_bars") {
    for (const char* value : {"1", "0"}) {
      const ScopedEnvironment pair_rows("KCONV_PAIR_ROWS", value);
      const std::string variable = std::string("KCONV_PAIR_ROWS=") + value;
      CAPTURE(variable);
      auto ctx = MakeContext(false);
      for (const Mode& mode : kModes) {
        if (mode.tensors.type == 0) continue;
        CheckEveryShapeAndConfig(ctx.get(), mode);
        CheckSpecialPlacement(ctx.get(), mode);
      }
    }
  }

  // The raw-row bands copied two tiles ahead (StemWgmmaParams::early_raw, on by default where the room allows) and
  // at their turn (KCONV_EARLY_RAW=0), over blocks of many tiles: ResNet's 7x7/2 at N = 16 (896 two-row tiles,
  // ~7 a block on 132 SMs), MobileNet's 3x3/2 at N = 32 (896 four-row tiles) and VGG's 3x3/1 at N = 4 (896 one-row
  // tiles), in every mode whose bands come as raw rows (16-bit, and fp32 NHWC), through every Hopper stem config
  // that takes them. A band copied into the wrong buffer, or over one still being read, breaks whole tiles.
  TEST_CASE("gpu.precision_modes.early_raw_rows_meet_the_bars_over_many_tiles_a_block") {
    const std::vector<Shape> stems = {ResNetStem(16), Shape{32, 3, 224, 224, 32, 3, 3, 2, 2, 1, 1},
                                      Shape{4, 3, 224, 224, 64, 3, 3, 1, 1, 1, 1}};
    for (const char* value : {"", "0"}) {
      const ScopedEnvironment early("KCONV_EARLY_RAW", value);
      const std::string variable = std::string("KCONV_EARLY_RAW=") + value;
      CAPTURE(variable);
      auto ctx = MakeContext(false);
      for (const Mode& mode : kModes) {
        if (mode.tensors.type == 0 && (mode.tensors.layout == 0 || mode.math != KCONV_MATH_TF32)) continue;
        const auto meets_the_bar = [&](ModeBuffers& buffers, const kconv_plan* plan) {
          const Comparison c = buffers.Run(plan);
          CHECK(c.nan_count == 0);
          CHECK(c.relative_l2 <= mode.max_relative_l2);
        };
        // The family whose bands come as raw rows.
        CHECK(ForEachPlan(ctx.get(), stems, mode, meets_the_bar, "stem_wgmma_tf32") > 0);
      }
    }
  }

  // 3xTF32 with the Hopper stem family's split configs off (KCONV_WGMMA_3XTF32=0), as a caller may ask: fp32
  // NCHW 3xTF32 on every shape and config, and the 1e-4 elementwise bar at AlexNet N = 32 through kconv's
  // choice, the portable family's mma.sync (the suite's other cases run the split configs, the default).
  TEST_CASE("gpu.precision_modes.wgmma_3xtf32_off_meets_the_fp32_bars") {
    const ScopedEnvironment split("KCONV_WGMMA_3XTF32", "0");
    Check3xTf32Everywhere(0);
  }

  // fp32 NHWC in 3xTF32, which the split configs take by default (each plane's remainders after the planes;
  // the suite's 40x300 shape, rows of 77 pieces, once found them unwritten past a row's 64th piece): every
  // shape and config, and the 1e-4 elementwise bar at AlexNet N = 32 through kconv's choice.
  TEST_CASE("gpu.precision_modes.wgmma_3xtf32_nhwc_meets_the_fp32_bars") {
    Check3xTf32Everywhere(1);
  }

  TEST_CASE("gpu.precision_modes.forced_ptx_path_meets_the_bars") {
    auto ctx = MakeContext(true);
    for (const Mode& mode : kModes) {
      for (const Shape& s : {AlexNetConv1(2), ResNetStem(1), Shape{2, 5, 13, 11, 33, 3, 3, 2, 1, 1, 2, 1, 2, true, true}}) {
        const std::string mode_name = mode.name;
        CAPTURE(mode_name);
        CAPTURE(s.Name());
        ModeBuffers buffers(s, mode);
        auto plan = MakePlan(ctx.get(), s, mode, nullptr);
        const Comparison c = buffers.Run(plan.get());
        CHECK(c.nan_count == 0);
        CHECK(c.relative_l2 <= mode.max_relative_l2);
      }
    }
  }

  TEST_CASE("gpu.precision_modes.fp32_accurate_modes_hold_1e-4_elementwise_at_alexnet_batch_32") {
    auto ctx = MakeContext(false);
    for (const Mode& mode : kModes) {
      if (mode.tensors.type != 0 || mode.math == KCONV_MATH_TF32) continue;
      const std::string mode_name = mode.name;
      CAPTURE(mode_name);
      CHECK(OutsideFp32BarAtAlexNet32(ctx.get(), mode) == 0);
    }
  }
}

}  // namespace kconv_test
