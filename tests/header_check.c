/* SPDX-License-Identifier: Apache-2.0 */
/* Compiled as C90, C99, C11, C17 and C23 with -Wall -Wextra -pedantic -Werror (tests/CMakeLists.txt): the
 * header must stay clean in every standard a caller may use, its inline initialisers included. */
#include "kconv/kconv.h"

int kconv_header_check(void);
int kconv_header_check(void) {
  kconv_conv_desc desc;
  kconv_error error;
  kconv_conv_desc_init(&desc);
  kconv_error_init(&error);
  return (int)desc.struct_size + error.status;
}
