// SPDX-License-Identifier: Apache-2.0
// Linked into libkconv.so only: what the shared library frees when it is unloaded (dlclose, or exit).
//
// libkconv.so carries its own static libstdc++, whose exception-handling emergency pool (~73 KB) is
// allocated when the library loads and is otherwise never freed: every dlopen/dlclose cycle of an engine
// would leak it. libstdc++'s __gnu_cxx::__freeres() frees it (valgrind calls it at exit); no exception can
// be thrown by the library once it is being unloaded.
namespace __gnu_cxx {
void __freeres() noexcept;
}

namespace {

__attribute__((destructor)) void FreeRuntimeOnUnload() { __gnu_cxx::__freeres(); }

}  // namespace
