/* SPDX-License-Identifier: Apache-2.0 */
/* A C99 program that includes only kconv.h and links the shared library: the host path on a small
 * AlexNet-like layer, checked against a direct sum computed here. Exit status 0 on success. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kconv/kconv.h"

int main(void) {
  kconv_conv_desc d;
  kconv_conv_desc_init(&d);
  d.n = 2, d.c = 3, d.h = 31, d.w = 31, d.k = 5, d.r = 11, d.s = 11;
  d.stride_h = d.stride_w = 4;
  d.pad_h = d.pad_w = 2;
  d.has_bias = 1;

  int64_t dims[4];
  if (kconv_conv_output_shape(&d, dims) != KCONV_STATUS_OK) return 1;
  const size_t nx = 2 * 3 * 31 * 31, nw = 5 * 3 * 11 * 11, ny = (size_t)(dims[0] * dims[1] * dims[2] * dims[3]);
  float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float)), b[5], *y = malloc(ny * sizeof(float));
  for (size_t i = 0; i < nx; ++i) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  for (size_t i = 0; i < nw; ++i) w[i] = (float)((i * 53) % 97) / 48.0f - 1.0f;
  for (int i = 0; i < 5; ++i) b[i] = 0.25f * (float)i;

  kconv_status st = kconv_forward_host(&d, x, w, b, y);
  if (st != KCONV_STATUS_OK) {
    fprintf(stderr, "%s: %s\n", kconv_status_string(st), kconv_last_error_message());
    return 1;
  }
  /* Output (image 1, channel 4, row 3, column 2) by hand. */
  double acc = b[4];
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 11; ++r)
      for (int s = 0; s < 11; ++s) {
        const int ih = 3 * 4 - 2 + r, iw = 2 * 4 - 2 + s;
        if (ih < 0 || ih >= 31 || iw < 0 || iw >= 31) continue;
        acc += (double)x[((1 * 3 + c) * 31 + ih) * 31 + iw] * w[((4 * 3 + c) * 11 + r) * 11 + s];
      }
  const float got = y[((1 * 5 + 4) * dims[2] + 3) * dims[3] + 2];
  printf("kconv %s: output %lldx%lldx%lldx%lld, y[1][4][3][2] = %f (expected %f)\n", kconv_version_string(),
         (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[3], got, acc);
  /* A bad descriptor is reported, not fatal. */
  d.stride_h = 0;
  if (kconv_forward_host(&d, x, w, b, y) != KCONV_STATUS_INVALID_ARGUMENT) return 1;
  printf("bad descriptor: %s\n", kconv_last_error_message());
  free(x), free(w), free(y);
  return fabs(got - acc) < 1e-4 * (1 + fabs(acc)) ? 0 : 1;
}
