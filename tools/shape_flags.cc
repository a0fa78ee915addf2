#include "tools/shape_flags.h"

#include <stdio.h>
#include <stdlib.h>

#include <string>

namespace kconv_tools {

void SetAlexNet(kconv_conv_desc* d) {
  d->n = 256;
  d->c = 3, d->h = 224, d->w = 224, d->k = 96, d->r = 11, d->s = 11;
  d->stride_h = d->stride_w = 4;
  d->pad_h = d->pad_w = 2;
  d->dil_h = d->dil_w = 1;
  d->has_bias = 1;
}

void SetResNetStem(kconv_conv_desc* d) {
  d->c = 3, d->h = 224, d->w = 224, d->k = 64, d->r = 7, d->s = 7;
  d->stride_h = d->stride_w = 2;
  d->pad_h = d->pad_w = 3;
  d->dil_h = d->dil_w = 1;
  d->has_bias = 0;
}

bool ParseShapeFlag(int argc, char** argv, int* i, kconv_conv_desc* d, bool* n_given) {
  const std::string a = argv[*i];
  if (a == "--alexnet") {
    const int64_t n = d->n;
    SetAlexNet(d);
    if (*n_given) d->n = n;
    return true;
  }
  if (a == "--resnet-stem") {
    SetResNetStem(d);
    return true;
  }
  if (a == "--no-bias") return d->has_bias = 0, true;
  if (a == "--relu") return d->relu = 1, true;
  int64_t* one = a == "--n" ? &d->n : a == "--c" ? &d->c : a == "--h" ? &d->h : a == "--w" ? &d->w
               : a == "--k" ? &d->k : a == "--r" ? &d->r : a == "--s" ? &d->s : nullptr;
  int64_t* pair = a == "--stride" ? &d->stride_h : a == "--pad" ? &d->pad_h : a == "--dil" ? &d->dil_h : nullptr;
  if ((one == nullptr && pair == nullptr) || *i + 1 >= argc) return false;
  const int64_t v = atoll(argv[++*i]);
  if (one != nullptr) {
    *one = v;
    if (one == &d->n) *n_given = true;
  } else if (pair == &d->stride_h) {
    d->stride_h = d->stride_w = v;
  } else if (pair == &d->pad_h) {
    d->pad_h = d->pad_w = v;
  } else {
    d->dil_h = d->dil_w = v;
  }
  return true;
}

ShapeDims DimsOf(const kconv_conv_desc& d) {
  int64_t out[4] = {0, 0, 0, 0};
  kconv_conv_output_shape(&d, out);
  return {d.n * d.c * d.h * d.w, d.k * d.c * d.r * d.s, out[0] * out[1] * out[2] * out[3], out[2], out[3]};
}

double UsefulFlops(const kconv_conv_desc& d, const ShapeDims& dims) {
  return 2.0 * static_cast<double>(dims.y) * static_cast<double>(d.c * d.r * d.s);
}

double CompulsoryBytes(const kconv_conv_desc& d, const ShapeDims& dims) {
  return 4.0 * static_cast<double>(dims.x + dims.w + dims.y + (d.has_bias ? d.k : 0));
}

void PrintShape(const kconv_conv_desc& d, const ShapeDims& dims) {
  printf("shape: N=%lld C=%lld H=%lld W=%lld -> K=%lld %lldx%lld stride %lld pad %lld dil %lld%s%s -> %lldx%lld\n",
         (long long)d.n, (long long)d.c, (long long)d.h, (long long)d.w, (long long)d.k, (long long)d.r, (long long)d.s,
         (long long)d.stride_h, (long long)d.pad_h, (long long)d.dil_h, d.has_bias ? " bias" : "", d.relu ? " relu" : "",
         (long long)dims.p, (long long)dims.q);
}

}  // namespace kconv_tools
