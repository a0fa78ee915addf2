# SPDX-License-Identifier: Apache-2.0
# Read by cmake/KconvKernels.cmake. The fields of a line of `configs`, in the order of traits.h's Config.
set(KCONV_FAMILY_FIELDS mt nt warps wsteps wstages phases split)
set(KCONV_FAMILY_HOST_SOURCES stem_tf32/planner.cc stem_common/stem_geometry.cc)
