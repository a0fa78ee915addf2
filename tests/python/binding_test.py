# SPDX-License-Identifier: Apache-2.0
"""python/kconv.py without a GPU: argument checks that ctypes would otherwise skip, and clean failures.

Run by ctest as `python3 tests/python/binding_test.py <libkconv.so>`.
"""
import ctypes
import gc
import os
import sys
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import kconv  # noqa: E402

LIBRARY = sys.argv.pop(1) if len(sys.argv) > 1 else os.environ.get("KCONV_LIBRARY", "libkconv.so")


class BindingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.library = kconv.Library(LIBRARY)

    def test_descriptor_fields_out_of_int64_raise_instead_of_wrapping(self):
        # Regression (issue 16): n = 2**64 + 1 became 1.
        with self.assertRaises(ValueError):
            kconv.make_desc(self.library, 2**64 + 1, 3, 224, 224, 96, 11, 11)
        with self.assertRaises(TypeError):
            kconv.make_desc(self.library, 1.5, 3, 224, 224, 96, 11, 11)
        d = kconv.make_desc(self.library, 2, 3, 224, 224, 96, 11, 11, stride=4, padding=2)
        self.assertEqual(d.struct_size, ctypes.sizeof(kconv.ConvDesc))
        self.assertEqual((d.n, d.stride_h, d.pad_w, d.element_type, d.layout), (2, 4, 2, 0, 0))

    def test_streams_and_pointers_of_the_wrong_type_raise(self):
        # Regression: stream='abc' was passed on as a pointer.
        with self.assertRaises(TypeError):
            kconv._stream("abc")
        with self.assertRaises(ValueError):
            kconv._pointer("x", -1)
        self.assertIsNone(kconv._stream(None))
        self.assertIsNone(kconv._stream(0))
        self.assertEqual(kconv._stream(types.SimpleNamespace(cuda_stream=1234)), 1234)

    def test_a_plan_that_fails_raises_kconv_error_and_nothing_else(self):
        # Regression: config=b"x" raised AttributeError, then "Exception ignored in __del__".
        desc = kconv.make_desc(self.library, 1, 3, 32, 32, 8, 3, 3)
        no_context = types.SimpleNamespace(library=self.library, handle=ctypes.c_void_p())
        unraisable = []  # exceptions raised in __del__ land here instead of on stderr
        previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
        try:
            for config in (b"x", "x", None):
                with self.assertRaises(kconv.KconvError) as raised:
                    kconv.Plan(no_context, desc, config=config)
                self.assertIn("context is NULL", str(raised.exception))
            with self.assertRaises(TypeError):
                kconv.Plan(no_context, desc, config=3)
            gc.collect()
        finally:
            sys.unraisablehook = previous_hook
        self.assertEqual(unraisable, [])


if __name__ == "__main__":
    unittest.main()
