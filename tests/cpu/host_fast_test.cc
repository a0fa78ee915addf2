// SPDX-License-Identifier: Apache-2.0
// The fast host path: every micro-kernel this CPU runs, thread counts, the options and their validation.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kconv/kconv.h"
#include "prelude.h"
#include "runtime/conv_shape.h"
#include "runtime/host_conv_fast.h"
#include "runtime/host_microkernels.h"
#include "runtime/host_threads.h"

using kconv_test::Shape;

namespace {

// Shapes that exercise the tails: channel counts that are no multiple of any kernel's mr (6, 8, 4), pixel
// counts that are no multiple of any nr, panels that cross output rows and images, strides, dilation and
// padding larger than the kernel's reach.
std::vector<Shape> TailShapes() {
  std::vector<Shape> shapes = {
      {2, 3, 17, 19, 13, 5, 3, 2, 1, 2, 1},
      {1, 1, 9, 40, 7, 3, 3, 1, 3, 1, 1, 2, 1, false, true},
      {3, 4, 11, 11, 33, 4, 4, 4, 4, 0, 0},
      {1, 3, 31, 29, 96, 11, 11, 4, 4, 2, 2},
      {2, 2, 6, 6, 5, 1, 1, 1, 1, 3, 3},
      {1, 5, 3, 50, 17, 2, 7, 1, 2, 0, 3, 1, 2, true, true},
  };
  return shapes;
}

void CheckAgainstReference(const Shape& s, const std::vector<float>& y, const std::vector<double>& ref) {
  CHECK(kconv_test::RelativeL2(y.data(), ref.data(), s.YElements()) < 1e-6);
  CHECK(kconv_test::CountOutsideTolerance(y.data(), ref.data(), s.YElements(), 1e-5, 1e-5) == 0);
}

}  // namespace

TEST_CASE("host.fast.every_micro_kernel_on_tail_shapes") {
  const auto& kernels = kconv::SupportedHostMicroKernels();
  REQUIRE(!kernels.empty());
  MESSAGE("host micro-kernels on this CPU: " << kernels.size() << ", fastest " << std::string(kernels.front().isa));
  std::mt19937_64 rng(7);
  for (const Shape& s : TailShapes()) {
    const kconv_conv_desc d = s.Desc();
    auto shape = kconv::ValidateConvDesc(&d);
    REQUIRE(shape.ok());
    const auto x = kconv_test::RandomTensor(s.XElements(), rng), w = kconv_test::RandomTensor(s.WElements(), rng),
               b = kconv_test::RandomTensor(s.k, rng);
    const std::vector<double> ref = kconv_test::ReferenceConv(s, x, w, b);
    for (const kconv::HostMicroKernel& kernel : kernels) {
      for (int threads : {1, 3, 8}) {
        CAPTURE(s.Name());
        CAPTURE(kernel.isa);
        CAPTURE(threads);
        // One guard element on each side: nothing may be written outside y.
        std::vector<float> y(s.YElements() + 2, NAN);
        y.front() = y.back() = 1234.5f;
        REQUIRE(kconv::HostConvFast(*shape, x.data(), w.data(), s.bias ? b.data() : nullptr, y.data() + 1, threads,
                                    kernel)
                    .ok());
        CHECK(y.front() == 1234.5f);
        CHECK(y.back() == 1234.5f);
        const std::vector<float> inner(y.begin() + 1, y.end() - 1);
        CheckAgainstReference(s, inner, ref);
      }
    }
  }
}

TEST_CASE("host.fast.thread_count_does_not_change_a_bit") {
  // Every output element is one micro-kernel's sum in one order, whichever thread computes it.
  std::mt19937_64 rng(11);
  const Shape s = kconv_test::ResNetStem(2);
  const kconv_conv_desc d = s.Desc();
  const auto x = kconv_test::RandomTensor(s.XElements(), rng), w = kconv_test::RandomTensor(s.WElements(), rng);
  std::vector<float> one(s.YElements(), NAN), many(s.YElements(), NAN);
  kconv_host_options options;
  kconv_host_options_init(&options);
  options.threads = 1;
  const std::vector<float> no_bias(s.k, 0.f);
  REQUIRE(kconv_forward_host_with_options(&d, x.data(), w.data(), no_bias.data(), one.data(), &options, nullptr) ==
          KCONV_STATUS_OK);
  options.threads = 7;
  REQUIRE(kconv_forward_host_with_options(&d, x.data(), w.data(), no_bias.data(), many.data(), &options, nullptr) ==
          KCONV_STATUS_OK);
  CHECK(one == many);
  const std::vector<double> ref = kconv_test::ReferenceConv(s, x, w, no_bias);
  CheckAgainstReference(s, many, ref);
}

TEST_CASE("host.options.validation_leaves_y_untouched") {
  const Shape s{1, 1, 4, 4, 2, 3, 3, 1, 1, 1, 1};
  const kconv_conv_desc d = s.Desc();
  const std::vector<float> x(s.XElements(), 1.f), w(s.WElements(), 1.f), b(s.k, 0.f);
  std::vector<float> y(s.YElements(), 42.f);
  kconv_host_options options;
  kconv_host_options_init(&options);
  CHECK(options.struct_size == sizeof(kconv_host_options));
  CHECK(options.threads == 0);
  CHECK(options.reference == 0);
  kconv_error error;
  kconv_error_init(&error);
  for (int32_t threads : {-1, 4097}) {
    options.threads = threads;
    CHECK(kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), y.data(), &options, &error) ==
          KCONV_STATUS_INVALID_ARGUMENT);
    CHECK(std::string(error.message).find("options->threads") != std::string::npos);
  }
  options.threads = 0;
  options.reference = 2;
  CHECK(kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), y.data(), &options, &error) ==
        KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(error.message).find("options->reference") != std::string::npos);
  options.reference = 0;
  options.struct_size = 3;
  CHECK(kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), y.data(), &options, &error) ==
        KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(kconv_host_options_init_sized(&options, 5) == KCONV_STATUS_INVALID_ARGUMENT);
  CHECK(kconv_host_options_init_sized(nullptr, sizeof(options)) == KCONV_STATUS_INVALID_ARGUMENT);
  for (float v : y) CHECK(v == 42.f);
  // NULL options are the defaults.
  CHECK(kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), y.data(), nullptr, &error) ==
        KCONV_STATUS_OK);
  CHECK(error.status == KCONV_STATUS_OK);
  CHECK(y[0] == 4.f);  // the corner pixel sees 2x2 ones of the padded image
}

TEST_CASE("host.default_threads_follow_the_environment") {
  const char* saved = getenv("KCONV_HOST_THREADS");
  const std::string restore = saved != nullptr ? saved : "";
  setenv("KCONV_HOST_THREADS", "3", 1);
  CHECK(kconv_host_default_threads() == 3);
  for (const char* bad : {"0", "-2", "abc", "4097", ""}) {
    setenv("KCONV_HOST_THREADS", bad, 1);
    CAPTURE(bad);
    const int32_t threads = kconv_host_default_threads();
    CHECK(threads >= 1);
    CHECK(threads <= 4096);
  }
  if (saved != nullptr) {
    setenv("KCONV_HOST_THREADS", restore.c_str(), 1);
  } else {
    unsetenv("KCONV_HOST_THREADS");
  }
}

TEST_CASE("host.pool_serves_concurrent_callers") {
  // Four threads call the host path at once; the pool runs one call at a time and each gets its result.
  const Shape s = kconv_test::AlexNetConv1(1);
  const kconv_conv_desc d = s.Desc();
  std::mt19937_64 rng(5);
  const auto x = kconv_test::RandomTensor(s.XElements(), rng), w = kconv_test::RandomTensor(s.WElements(), rng),
             b = kconv_test::RandomTensor(s.k, rng);
  std::vector<float> expected(s.YElements());
  REQUIRE(kconv_forward_host(&d, x.data(), w.data(), b.data(), expected.data()) == KCONV_STATUS_OK);
  std::vector<std::vector<float>> outputs(4, std::vector<float>(s.YElements(), NAN));
  std::vector<kconv_status> statuses(4, KCONV_STATUS_UNKNOWN);
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&, i] {
      kconv_host_options options;
      kconv_host_options_init(&options);
      options.threads = 1 + i;
      statuses[i] = kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), outputs[i].data(), &options,
                                                    nullptr);
    });
  }
  for (std::thread& t : callers) t.join();
  for (int i = 0; i < 4; ++i) {
    CHECK(statuses[i] == KCONV_STATUS_OK);
    CHECK(outputs[i] == expected);
  }
}

TEST_CASE("host.pool_works_in_a_forked_child") {
  // After fork() the child has none of the parent's workers: the pool notices and starts its own.
  const Shape s = kconv_test::ResNetStem(1);
  const kconv_conv_desc d = s.Desc();
  std::mt19937_64 rng(3);
  const auto x = kconv_test::RandomTensor(s.XElements(), rng), w = kconv_test::RandomTensor(s.WElements(), rng),
             b = kconv_test::RandomTensor(s.k, rng);
  std::vector<float> expected(s.YElements());
  kconv_host_options options;
  kconv_host_options_init(&options);
  options.threads = 4;
  REQUIRE(kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), expected.data(), &options, nullptr) ==
          KCONV_STATUS_OK);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(60);  // a pool waiting on the parent's workers would hang: fail instead
    std::vector<float> y(s.YElements(), NAN);
    const kconv_status st = kconv_forward_host_with_options(&d, x.data(), w.data(), b.data(), y.data(), &options, nullptr);
    _exit(st == KCONV_STATUS_OK && y == expected ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
