// SPDX-License-Identifier: Apache-2.0
// Facts read from an embedded cubin without loading it: enough for the config choice to know each
// kernel's register use, and so its occupancy, before any module is loaded.
#pragma once

#include <stddef.h>

namespace kconv {

// Registers per thread of kernel `symbol` in a CUDA ELF image, from the EIATTR_REGCOUNT attribute of its
// .nv.info section; 0 if the image is not such an ELF or carries no count for it (PTX text, for one).
int CubinRegisterCount(const unsigned char* image, size_t size, const char* symbol);

}  // namespace kconv
