// SPDX-License-Identifier: Apache-2.0
// Every config on every shape it accepts, against the float64 reference: fresh random inputs and a
// NaN-poisoned output for every run; relative L2 error <= 1e-3 and every element written.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <set>
#include <string>

#include "gpu_harness.h"
#include "kconv/kconv.h"
#include "families/im2col_wgmma_tf32/planner.h"
#include "families/implicit_gemm_tf32/planner.h"
#include "families/stem_ffma/planner.h"
#include "families/stem_tf32/planner.h"
#include "families/stem_wgmma_tf32/planner.h"
#include "runtime/blob_registry.h"
#include "runtime/kernel_family.h"
#include "shapes.h"

namespace kconv_test {
namespace {

constexpr double kMaxRelativeL2 = 1e-3;

// The families that read the stride-4 chunk layout: they write outputs from staged rows, and read each
// kernel row in whole 4-column chunks (README, "Numerics": the phantom columns' NaN behaviour).
const std::set<std::string> kChunkLayoutFamilies = {"stem_tf32", "stem_wgmma_tf32"};

struct ContextDeleter {
  void operator()(kconv_context* c) const { kconv_context_destroy(c); }
};
struct PlanDeleter {
  void operator()(kconv_plan* p) const { kconv_plan_destroy(p); }
};
using ContextPtr = std::unique_ptr<kconv_context, ContextDeleter>;
using PlanPtr = std::unique_ptr<kconv_plan, PlanDeleter>;

ContextPtr MakeContext(bool force_ptx) {
  kconv_context_options o;
  kconv_context_options_init(&o);
  o.force_ptx = force_ptx ? 1 : 0;
  kconv_context* ctx = nullptr;
  REQUIRE_MESSAGE(kconv_context_create(&o, &ctx) == KCONV_STATUS_OK, kconv_last_error_message());
  return ContextPtr(ctx);
}

// Plans `config` (nullptr: kconv's choice); returns null if the config refuses the shape.
PlanPtr MakePlan(kconv_context* ctx, const Shape& s, const char* config) {
  const kconv_conv_desc d = s.Desc();
  kconv_plan_options o;
  kconv_plan_options_init(&o);
  o.config_name = config;
  kconv_plan* plan = nullptr;
  const kconv_status st = kconv_plan_create(ctx, &d, &o, &plan);
  if (st == KCONV_STATUS_UNIMPLEMENTED && config != nullptr) return nullptr;
  REQUIRE_MESSAGE(st == KCONV_STATUS_OK, kconv_last_error_message());
  return PlanPtr(plan);
}

// The device memory a plan keeps for re-laid-out weights (kconv_plan_info.packed_weight_bytes).
int64_t PackedWeightBytes(const kconv_plan* plan) {
  kconv_plan_info info;
  info.struct_size = sizeof(info);
  REQUIRE(kconv_plan_get_info(plan, &info) == KCONV_STATUS_OK);
  return info.packed_weight_bytes;
}

Comparison RunAndCompare(const kconv_plan* plan, ConvBuffers& b) {
  b.Refresh();
  REQUIRE_MESSAGE(kconv_plan_execute(plan, b.x.get(), b.w.get(), b.shape.bias ? b.bias.get() : 0, b.y.get(), nullptr) ==
                      KCONV_STATUS_OK,
                  kconv_last_error_message());
  REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
  return CompareWithReference(b);
}

// Runs every config (and the default choice) on `s`; returns the number of plans checked.
int CheckAllConfigs(kconv_context* ctx, const Shape& s, bool elementwise, bool expect_ptx) {
  ConvBuffers buffers(s);
  int checked = 0;
  for (int i = -1; i < kconv_config_count(); ++i) {
    const char* config = i < 0 ? nullptr : kconv_config_name(i);
    CAPTURE(s.Name());
    const std::string config_name = config ? config : "(kconv's choice)";
    CAPTURE(config_name);
    PlanPtr plan = MakePlan(ctx, s, config);
    if (plan == nullptr) continue;
    kconv_plan_info info;
    info.struct_size = sizeof(info);
    REQUIRE(kconv_plan_get_info(plan.get(), &info) == KCONV_STATUS_OK);
    CHECK(info.is_ptx == (expect_ptx ? 1 : 0));
    const Comparison c = RunAndCompare(plan.get(), buffers);
    CHECK(c.nan_count == 0);
    CHECK(c.relative_l2 <= kMaxRelativeL2);
    if (elementwise) CHECK(c.outside_elementwise == 0);
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_SUITE("gpu") {
  TEST_CASE("gpu.reference_kernel_matches_the_host_reference") {
    std::mt19937_64 rng(5);
    for (const Shape& s : {Shape{2, 3, 9, 11, 5, 3, 3, 2, 1, 1, 2, 1, 2, true, true}, Shape{1, 4, 6, 6, 3, 2, 2}}) {
      const auto x = RandomTensor(s.XElements(), rng), w = RandomTensor(s.WElements(), rng), b = RandomTensor(s.k, rng);
      DeviceBuffer dx(x.size() * 4), dw(w.size() * 4), db(b.size() * 4), dy(s.YElements() * 8);
      Upload(dx, x);
      Upload(dw, w);
      Upload(db, b);
      ReferenceConvOnDevice(s, dx.get(), dw.get(), db.get(), dy);
      const std::vector<double> device = DownloadDoubles(dy, s.YElements());
      const std::vector<double> host = ReferenceConv(s, x, w, b);
      for (size_t i = 0; i < host.size(); ++i) REQUIRE(device[i] == doctest::Approx(host[i]).epsilon(1e-12));
    }
  }

  TEST_CASE("gpu.every_config_matches_the_reference_on_every_shape") {
    ContextPtr ctx = MakeContext(false);
    int plans = 0;
    const auto shapes = GpuTestShapes();
    for (const Shape& s : shapes) plans += CheckAllConfigs(ctx.get(), s, false, false);
    MESSAGE(plans << " plans checked over " << shapes.size() << " shapes");
    CHECK(shapes.size() >= 40);
    int implicit_configs = 0;  // these accept every shape; the stem families only stride-4 ones
    for (const kconv::KernelConfig& c : kconv::Configs()) implicit_configs += std::string(c.family_name) == "implicit_gemm_tf32";
    CHECK(plans > static_cast<int>(shapes.size()) * implicit_configs);
  }

  TEST_CASE("gpu.alexnet_conv1_batch_256_elementwise") {
    ContextPtr ctx = MakeContext(false);
    // Every config serves AlexNet's horizontal stride of 4 in TF32 but the stem families' phase configs
    // (strides 2 and 1), the 3xTF32 configs (the split ones of the stem, implicit GEMM and im2col families),
    // the im2col family's strict FP32 (ffma) ones and the FFMA stem family's (strict FP32; TF32 only for 3x3
    // stems in NHWC), and the default choice.
    int stride_4 = 0;
    for (const kconv::KernelConfig& c : kconv::Configs()) {
      if (&c.family() == &kconv::stem_wgmma_tf32::Family()) {
        const kconv::stem_wgmma_tf32::Config& config = kconv::stem_wgmma_tf32::kConfigs[c.family_index];
        stride_4 += config.phases == 1 && config.split == 0;
      } else if (&c.family() == &kconv::stem_tf32::Family()) {
        const kconv::stem_tf32::Config& config = kconv::stem_tf32::kConfigs[c.family_index];
        stride_4 += config.phases == 1 && config.split == 0;
      } else if (&c.family() == &kconv::implicit_gemm_tf32::Family()) {
        stride_4 += kconv::implicit_gemm_tf32::kConfigs[c.family_index].split == 0;
      } else if (&c.family() == &kconv::im2col_wgmma_tf32::Family()) {
        const kconv::im2col_wgmma_tf32::Config& config = kconv::im2col_wgmma_tf32::kConfigs[c.family_index];
        stride_4 += config.split == 0 && config.ffma == 0;
      } else if (&c.family() != &kconv::stem_ffma::Family()) {
        ++stride_4;
      }
    }
    CHECK(CheckAllConfigs(ctx.get(), AlexNetConv1(256), true, false) == stride_4 + 1);
  }

  TEST_CASE("gpu.plans_of_one_config_that_need_more_shared_memory_still_launch") {
    // The context loads each config's kernel once; a later plan of the same config for a larger shape
    // needs more dynamic shared memory than the first, and the earlier plan must keep working.
    ContextPtr ctx = MakeContext(false);
    const char* config = "stem_tf32/m128n96_w8_k2x4";
    ConvBuffers small(AlexNetConv1(1)), large(Shape{2, 3, 40, 300, 24, 11, 11, 4, 4, 2, 2});
    PlanPtr first = MakePlan(ctx.get(), small.shape, config), second = MakePlan(ctx.get(), large.shape, config);
    REQUIRE(first != nullptr);
    REQUIRE(second != nullptr);
    kconv_plan_info a, b;
    a.struct_size = b.struct_size = sizeof(kconv_plan_info);
    REQUIRE(kconv_plan_get_info(first.get(), &a) == KCONV_STATUS_OK);
    REQUIRE(kconv_plan_get_info(second.get(), &b) == KCONV_STATUS_OK);
    CHECK(b.shared_bytes > a.shared_bytes);
    CHECK(a.shared_bytes > 48 * 1024);
    for (int round = 0; round < 2; ++round) {
      for (auto* pb : {&large, &small}) {
        const Comparison c = RunAndCompare(pb == &large ? second.get() : first.get(), *pb);
        CHECK(c.nan_count == 0);
        CHECK(c.relative_l2 <= kMaxRelativeL2);
      }
    }
  }

  TEST_CASE("gpu.forced_ptx_path_matches_the_reference") {
    ContextPtr ctx = MakeContext(true);
    for (const Shape& s : {AlexNetConv1(32), Shape{1, 8, 12, 12, 17, 3, 3, 1, 1, 1, 1}, ResNetStem(1),
                           Shape{2, 3, 16, 16, 8, 3, 3, 1, 1, 2, 2, 2, 2}, Shape{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, false}}) {
      CheckAllConfigs(ctx.get(), s, false, true);
    }
    kconv_plan_options o;
    kconv_plan_options_init(&o);
    PlanPtr plan = MakePlan(ctx.get(), AlexNetConv1(1), nullptr);
    char text[256];
    REQUIRE(kconv_plan_describe(plan.get(), text, sizeof(text)) > 0);
    CHECK(std::string(text).find("PTX") != std::string::npos);
    MESSAGE(text);
  }

  TEST_CASE("gpu.packed_weights.bound_weights_and_per_call_weights_agree") {
    // For families that re-lay out weights, kconv_plan_set_weights packs once into the plan's buffer and
    // weights given per call are packed into stream-ordered scratch. Both must give the reference, and new
    // weights must take effect.
    ContextPtr ctx = MakeContext(false);
    int packing = 0;
    for (int i = 0; i < kconv_config_count(); ++i) {
      const std::string name = kconv_config_name(i);
      CAPTURE(name);
      const Shape s = AlexNetConv1(3);
      PlanPtr plan = MakePlan(ctx.get(), s, name.c_str());
      if (plan == nullptr || PackedWeightBytes(plan.get()) == 0) continue;
      ++packing;
      ConvBuffers b(s);
      for (int round = 0; round < 2; ++round) {
        if (round == 1) b.Refresh();  // new weights and inputs: the bound weights must be set again
        REQUIRE(kconv_plan_set_weights(plan.get(), b.w.get(), nullptr) == KCONV_STATUS_OK);
        REQUIRE(kconv_plan_execute(plan.get(), b.x.get(), 0, b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
        REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
        Comparison c = CompareWithReference(b);
        CHECK(c.nan_count == 0);
        CHECK(c.relative_l2 <= kMaxRelativeL2);
        PoisonNaN(b.y, s.YElements());
        REQUIRE(kconv_plan_execute(plan.get(), b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
        REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
        c = CompareWithReference(b);
        CHECK(c.nan_count == 0);
        CHECK(c.relative_l2 <= kMaxRelativeL2);
      }
    }
    CHECK(packing > 0);
  }

  TEST_CASE("gpu.staged_outputs_at_every_4_byte_offset_are_correct_and_stay_in_bounds") {
    // The stem families write each output channel as runs of consecutive floats from staged rows. Every
    // 16-byte phase of y, with channel planes P*Q = 3025, 90 and 35 floats apart (1, 2 and 3 mod 4, so
    // that consecutive channels start at different phases), must give the reference and leave the floats
    // around y untouched.
    ContextPtr ctx = MakeContext(false);
    for (const Shape& s : {AlexNetConv1(2), Shape{2, 1, 40, 41, 96, 5, 5, 4, 4, 0, 1},
                           Shape{2, 3, 23, 31, 40, 11, 11, 4, 4, 2, 2}}) {
      ConvBuffers b(s);
      const int64_t count = s.YElements();
      DeviceBuffer wide((count + 8) * 4);
      const std::vector<double> ref = DownloadDoubles(b.y_ref, count);
      for (int i = 0; i < kconv_config_count(); ++i) {
        const std::string name = kconv_config_name(i);
        if (kChunkLayoutFamilies.count(kconv::Configs()[i].family_name) == 0) continue;
        PlanPtr plan = MakePlan(ctx.get(), s, name.c_str());
        if (plan == nullptr) continue;
        for (int offset = 0; offset < 4; ++offset) {
          CAPTURE(s.Name());
          CAPTURE(name);
          CAPTURE(offset);
          PoisonNaN(wide, count + 8);
          REQUIRE(kconv_plan_execute(plan.get(), b.x.get(), b.w.get(), b.bias.get(), wide.get() + 4 * offset, nullptr) ==
                  KCONV_STATUS_OK);
          REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
          const std::vector<float> all = Download(wide, count + 8);
          int64_t written_outside = 0, nan_inside = 0;
          for (int64_t e = 0; e < count + 8; ++e) {
            const bool inside = e >= offset && e < offset + count;
            if (inside) nan_inside += std::isnan(all[e]) ? 1 : 0;
            if (!inside) written_outside += std::isnan(all[e]) ? 0 : 1;
          }
          CHECK(written_outside == 0);
          CHECK(nan_inside == 0);
          CHECK(RelativeL2(all.data() + offset, ref.data(), count) <= kMaxRelativeL2);
        }
      }
    }
  }

  TEST_CASE("gpu.large_magnitudes_keep_relative_accuracy") {
    // Inputs up to 1e4 and weights up to 1e3: no overflow, and TF32's relative error is scale-free.
    ContextPtr ctx = MakeContext(false);
    for (const Shape& s : {AlexNetConv1(4), Shape{2, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1}}) {
      for (int i = -1; i < kconv_config_count(); ++i) {
        const char* config = i < 0 ? nullptr : kconv_config_name(i);
        PlanPtr plan = MakePlan(ctx.get(), s, config);
        if (plan == nullptr) continue;
        const std::string config_name = config ? config : "(kconv's choice)";
        CAPTURE(s.Name());
        CAPTURE(config_name);
        ConvBuffers b(s);
        FillRandom(b.x, s.XElements(), -1e4f, 1e4f);
        FillRandom(b.w, s.WElements(), -1e3f, 1e3f);
        FillRandom(b.bias, s.k, -1e5f, 1e5f);
        PoisonNaN(b.y, s.YElements());
        ReferenceConvOnDevice(s, b.x.get(), b.w.get(), b.bias.get(), b.y_ref);
        REQUIRE(kconv_plan_execute(plan.get(), b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
        REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
        const Comparison c = CompareWithReference(b);
        CHECK(c.nan_count == 0);
        CHECK(c.relative_l2 <= kMaxRelativeL2);
      }
    }
  }

  TEST_CASE("gpu.non_finite_inputs_follow_the_documented_behaviour") {
    // One NaN in x: every output whose receptive field holds it is NaN (as in PyTorch), every output
    // of another image stays finite; for the implicit-GEMM family every other output of the image is
    // finite too. The stem family may also turn outputs NaN whose padded 4-column chunks (its phantom
    // taps, zero-weighted) touch the NaN: documented in the README.
    ContextPtr ctx = MakeContext(false);
    const Shape s = AlexNetConv1(2);
    const int64_t P = s.P(), Q = s.Q();
    const int64_t nan_h = 100, nan_w = 101;  // image 0, channel 1
    for (int i = 0; i < kconv_config_count(); ++i) {
      const std::string name = kconv_config_name(i);
      CAPTURE(name);
      PlanPtr plan = MakePlan(ctx.get(), s, name.c_str());
      if (plan == nullptr) continue;
      ConvBuffers b(s);
      std::vector<float> x = Download(b.x, s.XElements());
      x[(0 * s.c + 1) * s.h * s.w + nan_h * s.w + nan_w] = NAN;
      Upload(b.x, x);
      REQUIRE(kconv_plan_execute(plan.get(), b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) == KCONV_STATUS_OK);
      REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
      const std::vector<float> y = Download(b.y, s.YElements());
      const bool stem = kChunkLayoutFamilies.count(kconv::Configs()[i].family_name) == 1;
      int64_t wrong = 0;
      for (int64_t img = 0; img < s.n; ++img)
        for (int64_t k = 0; k < s.k; ++k)
          for (int64_t p = 0; p < P; ++p)
            for (int64_t q = 0; q < Q; ++q) {
              const float v = y[((img * s.k + k) * P + p) * Q + q];
              const int64_t dh = nan_h - (p * s.stride_h - s.pad_h), dw = nan_w - (q * s.stride_w - s.pad_w);
              const bool in_field = img == 0 && dh >= 0 && dh < s.r && dw >= 0 && dw < s.s;
              const bool in_chunks = img == 0 && dh >= 0 && dh < s.r && dw >= 0 && dw < 4 * ((s.s + 3) / 4);
              if (in_field && !std::isnan(v)) ++wrong;
              if (!in_field && !(stem && in_chunks) && !std::isfinite(v)) ++wrong;
            }
      CHECK(wrong == 0);
    }
  }

  TEST_CASE("gpu.one_shot_forward_caches_plans_and_matches") {
    ContextPtr ctx = MakeContext(false);
    for (int round = 0; round < 2; ++round) {
      for (const Shape& s : {AlexNetConv1(1), ResNetStem(1), Shape{2, 3, 10, 10, 8, 3, 3, 1, 1, 2, 2}}) {
        CAPTURE(s.Name());
        ConvBuffers b(s);
        const kconv_conv_desc d = s.Desc();
        REQUIRE_MESSAGE(kconv_forward(ctx.get(), &d, b.x.get(), b.w.get(), b.bias.get(), b.y.get(), nullptr) ==
                            KCONV_STATUS_OK,
                        kconv_last_error_message());
        REQUIRE(GpuDriver()->cuCtxSynchronize() == CUDA_SUCCESS);
        const Comparison c = CompareWithReference(b);
        CHECK(c.nan_count == 0);
        CHECK(c.relative_l2 <= kMaxRelativeL2);
      }
    }
  }
}

}  // namespace kconv_test
