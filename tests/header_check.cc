// SPDX-License-Identifier: Apache-2.0
// Compiled as C++98, 11, 17, 20 and 23 with -Wall -Wextra -pedantic -Werror (tests/CMakeLists.txt).
#include "kconv/kconv.h"

int kconv_header_check_cxx();
int kconv_header_check_cxx() {
  kconv_conv_desc desc;
  kconv_plan_options options;
  kconv_conv_desc_init(&desc);
  kconv_plan_options_init(&options);
  return static_cast<int>(desc.struct_size + options.struct_size);
}
