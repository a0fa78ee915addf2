# SPDX-License-Identifier: Apache-2.0
# Read by cmake/KconvKernels.cmake. The fields of a line of `configs`, in the order of traits.h's Config.
set(KCONV_FAMILY_FIELDS kernel stride block_k rows tile_q thread_k teams)
set(KCONV_FAMILY_HOST_SOURCES stem_ffma/planner.cc)
