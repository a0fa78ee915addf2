# SPDX-License-Identifier: Apache-2.0
# Read by cmake/KconvKernels.cmake. The fields of a line of `configs`, in the order of traits.h's Config.
set(KCONV_FAMILY_FIELDS block_m block_n block_k thread_m thread_n)
set(KCONV_FAMILY_HOST_SOURCES implicit_gemm_ffma/planner.cc implicit_gemm_common/gemm_limits.cc)
