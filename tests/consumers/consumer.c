/* SPDX-License-Identifier: Apache-2.0
 * A program that uses an installed kconv the way a new user would, through the header and one of the
 * libraries (tests/consumers/run.sh builds it with CMake's find_package and with pkg-config, against the
 * shared and the static library). Host path only, so it runs on CI machines without a GPU; it fails
 * (exit 1) when the library computes a wrong result, accepts a bad descriptor or reports a version other
 * than its header's. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <kconv/kconv.h>

#define N 2
#define C 3
#define H 9
#define W 10
#define K 5
#define R 3
#define S 3

static int Fail(const char* what) {
  fprintf(stderr, "consumer: FAILED: %s (last error: %s)\n", what, kconv_last_error_message());
  return 1;
}

int main(void) {
  static float x[N * C * H * W], w[K * C * R * S], b[K], y[N * K * 5 * 5];
  kconv_conv_desc d;
  kconv_host_options options;
  kconv_error error;
  int64_t dims[4];
  int i, n, k, p, q, c, r, s;
  double worst = 0.0;

  if (kconv_version_number() != KCONV_VERSION_NUMBER) return Fail("the library's version is not the header's");
  for (i = 0; i < N * C * H * W; ++i) x[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
  for (i = 0; i < K * C * R * S; ++i) w[i] = (float)((i * 11) % 13) / 6.0f - 1.0f;
  for (i = 0; i < K; ++i) b[i] = 0.25f * (float)i;

  /* 9x10 input, 3x3 kernel, stride 2, padding 1: 5x5 output. */
  kconv_conv_desc_init(&d);
  d.n = N; d.c = C; d.h = H; d.w = W; d.k = K; d.r = R; d.s = S;
  d.stride_h = d.stride_w = 2;
  d.pad_h = d.pad_w = 1;
  d.has_bias = 1;
  if (kconv_conv_output_shape(&d, dims) != KCONV_STATUS_OK || dims[2] != 5 || dims[3] != 5) {
    return Fail("output shape");
  }
  kconv_host_options_init(&options);
  options.threads = 2;
  kconv_error_init(&error);
  if (kconv_forward_host_with_options(&d, x, w, b, y, &options, &error) != KCONV_STATUS_OK) {
    return Fail(error.message);
  }
  for (n = 0; n < N; ++n)
    for (k = 0; k < K; ++k)
      for (p = 0; p < 5; ++p)
        for (q = 0; q < 5; ++q) {
          double ref = b[k];
          for (c = 0; c < C; ++c)
            for (r = 0; r < R; ++r)
              for (s = 0; s < S; ++s) {
                const int ih = p * 2 - 1 + r, iw = q * 2 - 1 + s;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                ref += (double)x[((n * C + c) * H + ih) * W + iw] * w[((k * C + c) * R + r) * S + s];
              }
          if (fabs(y[((n * K + k) * 5 + p) * 5 + q] - ref) > 1e-4 * (1.0 + fabs(ref))) worst = 1.0;
        }
  if (worst != 0.0) return Fail("the host path's result differs from the reference");

  /* A bad descriptor is refused, with its own message, and y is left alone. */
  d.stride_w = 0;
  y[0] = 123.0f;
  if (kconv_forward_host_with_options(&d, x, w, b, y, NULL, &error) != KCONV_STATUS_INVALID_ARGUMENT ||
      strstr(error.message, "stride_w") == NULL || y[0] != 123.0f) {
    return Fail("a stride of 0 was not refused as INVALID_ARGUMENT naming stride_w");
  }
  printf("consumer: kconv %s, host path ok on %d threads by default\n", kconv_version_string(),
         (int)kconv_host_default_threads());
  return 0;
}
