// SPDX-License-Identifier: Apache-2.0
// Linked into libkconv.so only: keeps the library loadable with glibc 2.34 (RHEL 9, Ubuntu 22.04).
//
// The statically linked libstdc++ of GCC 12 (Debian 12) refers to arc4random, which glibc added in 2.36,
// from std::random_device; kconv never constructs one, but the member comes in with libstdc++'s string
// instances. This definition satisfies the reference inside the library (the version script keeps it
// local), so no symbol newer than GLIBC_2.34 is needed. The unwinder comes from the system's libgcc_s
// (not -static-libgcc) for the same reason: the static one calls _dl_find_object (glibc 2.35).
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

extern "C" uint32_t arc4random(void) {
  uint32_t value = 0;
  for (;;) {
    const ssize_t got = getrandom(&value, sizeof(value), 0);  // glibc 2.25
    if (got == static_cast<ssize_t>(sizeof(value))) return value;
    if (got < 0 && errno != EINTR) break;
  }
  // No getrandom (a kernel older than 3.17): the clock's bits, mixed. Never reached by kconv itself.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t mixed = static_cast<uint64_t>(now.tv_nsec) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(now.tv_sec);
  mixed ^= mixed >> 29;
  return static_cast<uint32_t>(mixed * 0xBF58476D1CE4E5B9ull >> 32);
}
