/* SPDX-License-Identifier: Apache-2.0 */
/* The C ABI as a binary built against kconv 0.1 sees it: this file declares, by hand, the 0.1 header's
 * structs and initialisers (it includes no kconv header), links the shared library and checks that
 *  - each exported initialiser writes no byte past the 0.1 struct (a canary follows each struct);
 *  - a 0.1 descriptor, whose tail padding the library's newer struct uses for a field, is read as 0.1:
 *    garbage in that padding changes nothing;
 *  - the _sized initialisers write exactly the size they are given, and refuse sizes of no version.
 * Exit status 0 on success; each failure is printed. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CANARY 0x5a

typedef struct desc_v01 {
  size_t struct_size;
  int64_t n, c, h, w, k, r, s;
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int32_t has_bias, relu, math_mode;
} desc_v01;

typedef struct context_options_v01 {
  size_t struct_size;
  int32_t device_ordinal, use_current_context, force_ptx, synchronize;
  const char* tuning_cache_path;
} context_options_v01;

typedef struct plan_options_v01 {
  size_t struct_size;
  const char* config_name;
} plan_options_v01;

typedef struct autotune_options_v01 {
  size_t struct_size;
  int32_t mode;
  double min_gain;
  int32_t warmup_runs, timed_runs, write_output, store;
  void (*progress)(void*, int32_t, int32_t, const char*);
  void* progress_user_data;
} autotune_options_v01;

/* The 0.1 entry points, as that header declared them. */
void kconv_conv_desc_init(desc_v01* desc);
void kconv_context_options_init(context_options_v01* options);
void kconv_plan_options_init(plan_options_v01* options);
void kconv_autotune_options_init(autotune_options_v01* options);
int kconv_conv_output_shape(const desc_v01* desc, int64_t out_dims[4]);
/* And the current ones this test uses. */
int kconv_conv_desc_init_sized(void* desc, size_t struct_size);
const char* kconv_last_error_message(void);

static int failures = 0;
#define EXPECT(condition)                                                   \
  do {                                                                      \
    if (!(condition)) {                                                     \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                           \
    }                                                                       \
  } while (0)

/* The struct at the start of a buffer, `size` bytes, then canary bytes to the end. */
#define WITH_CANARY(type, name) \
  union {                       \
    type value;                 \
    unsigned char bytes[sizeof(type) + 64]; \
  } name
static int canary_intact(const unsigned char* bytes, size_t from, size_t to) {
  size_t i;
  for (i = from; i < to; ++i)
    if (bytes[i] != CANARY) return 0;
  return 1;
}

int main(void) {
  int64_t dims[4] = {0, 0, 0, 0};
  {
    WITH_CANARY(desc_v01, d);
    memset(d.bytes, CANARY, sizeof(d.bytes));
    kconv_conv_desc_init(&d.value);
    EXPECT(canary_intact(d.bytes, sizeof(desc_v01), sizeof(d.bytes)));
    EXPECT(d.value.struct_size == sizeof(desc_v01));
    EXPECT(d.value.stride_h == 1 && d.value.dil_w == 1 && d.value.math_mode == 0);
    /* A 0.1 caller's tail padding holds whatever its stack held: here 0x5a bytes, after a struct copy. */
    memset((unsigned char*)&d.value + offsetof(desc_v01, math_mode) + 4, 0x7f,
           sizeof(desc_v01) - offsetof(desc_v01, math_mode) - 4);
    d.value.n = 2, d.value.c = 3, d.value.h = 31, d.value.w = 31, d.value.k = 5, d.value.r = 11, d.value.s = 11;
    d.value.stride_h = d.value.stride_w = 4;
    EXPECT(kconv_conv_output_shape(&d.value, dims) == 0);
    EXPECT(dims[0] == 2 && dims[1] == 5 && dims[2] == 6 && dims[3] == 6);
    if (dims[0] != 2) fprintf(stderr, "  %s\n", kconv_last_error_message());
  }
  {
    WITH_CANARY(context_options_v01, o);
    memset(o.bytes, CANARY, sizeof(o.bytes));
    kconv_context_options_init(&o.value);
    EXPECT(canary_intact(o.bytes, sizeof(context_options_v01), sizeof(o.bytes)));
    EXPECT(o.value.struct_size == sizeof(context_options_v01) && o.value.tuning_cache_path == NULL);
  }
  {
    WITH_CANARY(plan_options_v01, o);
    memset(o.bytes, CANARY, sizeof(o.bytes));
    kconv_plan_options_init(&o.value);
    EXPECT(canary_intact(o.bytes, sizeof(plan_options_v01), sizeof(o.bytes)));
    EXPECT(o.value.struct_size == sizeof(plan_options_v01) && o.value.config_name == NULL);
  }
  {
    WITH_CANARY(autotune_options_v01, o);
    memset(o.bytes, CANARY, sizeof(o.bytes));
    kconv_autotune_options_init(&o.value);
    EXPECT(canary_intact(o.bytes, sizeof(autotune_options_v01), sizeof(o.bytes)));
    EXPECT(o.value.struct_size == sizeof(autotune_options_v01) && o.value.timed_runs == 50);
  }
  {
    /* The sized initialiser writes the size given, for each version, and nothing for other sizes. */
    unsigned char bytes[256];
    memset(bytes, CANARY, sizeof(bytes));
    EXPECT(kconv_conv_desc_init_sized(bytes, sizeof(desc_v01)) == 0);
    EXPECT(canary_intact(bytes, sizeof(desc_v01), sizeof(bytes)));
    memset(bytes, CANARY, sizeof(bytes));
    EXPECT(kconv_conv_desc_init_sized(bytes, sizeof(desc_v01) + 8) == 0); /* 0.2: element_type, layout */
    EXPECT(canary_intact(bytes, sizeof(desc_v01) + 8, sizeof(bytes)));
    memset(bytes, CANARY, sizeof(bytes));
    EXPECT(kconv_conv_desc_init_sized(bytes, sizeof(desc_v01) + 4) == 3); /* no version: INVALID_ARGUMENT */
    EXPECT(canary_intact(bytes, 0, sizeof(bytes)));
    EXPECT(strstr(kconv_last_error_message(), "struct_size") != NULL);
    EXPECT(kconv_conv_desc_init_sized(NULL, sizeof(desc_v01)) == 3);
  }
  if (failures == 0) printf("kconv 0.1 ABI: initialisers stay within 0.1 structs; 0.1 descriptors read as 0.1\n");
  return failures == 0 ? 0 : 1;
}
