/* SPDX-License-Identifier: Apache-2.0 */
/* A C caller that passes kconv_status_string() any int, as C allows for an enum parameter. Declared here
 * by hand (kconv.h's declaration takes the enum), so that no C++ code of the test loads an out-of-range
 * kconv_status itself: UBSan checks only what the library does with it. */
const char* kconv_status_string(int status);
const char* kconv_test_status_string_of(int status);
const char* kconv_test_status_string_of(int status) { return kconv_status_string(status); }
