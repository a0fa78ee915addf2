# SPDX-License-Identifier: Apache-2.0
# Read by cmake/KconvKernels.cmake. The fields of a line of `configs`, in the order of traits.h's Config.
set(KCONV_FAMILY_FIELDS mt nt warps ksteps stages io split ffma)
# wgmma needs the architecture-specific sm_90a target, built when KCONV_CUDA_ARCHS holds 90; its PTX would
# run nowhere else, so there is none.
set(KCONV_FAMILY_ARCH_SPECIFIC 90a)
set(KCONV_FAMILY_HOST_SOURCES im2col_wgmma_tf32/planner.cc stem_common/stem_geometry.cc)
