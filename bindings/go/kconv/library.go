// SPDX-License-Identifier: Apache-2.0

package kconv

// The pkg-config directive applies to the whole package; the other files only include the header.

// #cgo pkg-config: kconv
// #include <kconv/kconv.h>
import "C"

// HeaderVersionNumber is the version of the kconv.h this package was compiled against, as
// major*10000 + minor*100 + patch. Compare it with VersionNumber to catch a library swapped under a
// built program.
const HeaderVersionNumber = uint32(C.KCONV_VERSION_NUMBER)

// Version is the loaded library's version string, e.g. "0.2.0".
func Version() string {
	return C.GoString(C.kconv_version_string())
}

// VersionNumber is the loaded library's version as major*10000 + minor*100 + patch.
func VersionNumber() uint32 {
	return uint32(C.kconv_version_number())
}

// Configs names the kernel configs built into the library ("family/config"), in the order the config
// choice prefers their families. Any of them may be forced with PlanOptions.ConfigName.
func Configs() []string {
	count := int(C.kconv_config_count())
	names := make([]string, 0, count)
	for i := 0; i < count; i++ {
		if name := C.kconv_config_name(C.int32_t(i)); name != nil {
			names = append(names, C.GoString(name))
		}
	}
	return names
}
