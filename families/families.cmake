# SPDX-License-Identifier: Apache-2.0
# The kernel families kconv builds: the only list of them. Order is preference: for a shape, the config
# choice takes the first family listed here that has a config accepting it, then that family's cheapest
# config. Adding a family is a folder families/<name>/ (README, "Layout") and its name here.
set(KCONV_FAMILIES
  stem_wgmma_tf32     # Hopper (sm_90a): persistent, warp-specialised, wgmma; stems at horizontal strides 4, 2, 1
  stem_tf32           # sm_80+: mma.sync over the stride-4 chunk layout; stride-4 stems
  stem_ffma           # sm_80+: strict fp32 (FFMA) stems whose weights fit in shared memory, NCHW or NHWC;
                      #   as strict FP32 also 3xTF32 in NHWC (3x3 stems: either layout) and TF32 for 3x3
                      #   stems in NHWC
  im2col_wgmma_tf32   # Hopper (sm_90a): wgmma over gathered patches (strict FP32: FFMA); the stems the bands
                      #   cannot hold
  implicit_gemm_tf32  # sm_80+: every fp32 shape, NCHW or NHWC, TF32 or 3xTF32
  implicit_gemm_ffma  # sm_80+: every shape, element type, layout and math mode, on FFMA (strict fp32)
)
