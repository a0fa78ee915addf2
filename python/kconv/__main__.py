# SPDX-License-Identifier: Apache-2.0
"""python -m kconv: the version, the library, whether a CUDA driver was found, and the devices."""
import sys

from . import _native, _runtime


def main():
    lib = _runtime.library()
    print(f"kconv {lib.lib.kconv_version_string().decode()} ({lib.path})")
    print(f"host path: {lib.lib.kconv_host_default_threads()} threads by default (KCONV_HOST_THREADS sets them)")
    devices = []
    for ordinal in range(64):
        try:
            ctx = _native.Context(lib, ordinal)
        except _native.Error as e:
            if ordinal == 0:
                print(f"CUDA driver: {'found, but no device' if e.status_name == 'NOT_FOUND' else 'not usable'}: {e}")
            break
        # The device's name and architecture as a plan describes them (AlexNet conv1, N = 1).
        desc = _native.make_desc(lib, 1, 3, 224, 224, 96, 11, 11, stride=4, padding=2)
        try:
            plan = _native.Plan(ctx, desc)
            devices.append((ordinal, plan.describe()))
            plan.close()
        except _native.Error as e:
            devices.append((ordinal, f"(no plan: {e})"))
        ctx.close()
    if devices:
        print(f"CUDA driver: found, {len(devices)} device(s)")
        for ordinal, text in devices:
            print(f"  device {ordinal}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
