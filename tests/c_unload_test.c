/* SPDX-License-Identifier: Apache-2.0 */
/* Unloading: dlopen the shared library, fail a call on a thread that stays alive, dlclose, and check that
 * the library is no longer mapped (a thread-local with a destructor, for one, would keep it loaded until
 * that thread exits). Then the thread exits, with the library gone. Then 200 more load/fail/unload cycles
 * must not grow the heap (the static libstdc++'s emergency pool once leaked ~73 KB per cycle). Exit status
 * 0 on success. */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef KCONV_TEST_SHARED_LIBRARY
#error "KCONV_TEST_SHARED_LIBRARY must name libkconv.so"
#endif

typedef int (*output_shape_fn)(const void* desc, int64_t out_dims[4]);
typedef const char* (*message_fn)(void);

static void* library = NULL;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int stage = 0; /* 1: the thread's call failed; 2: the library is closed, the thread may exit */
static char message[256];

static void* fail_a_call_and_wait(void* unused) {
  int64_t dims[4];
  output_shape_fn output_shape = (output_shape_fn)dlsym(library, "kconv_conv_output_shape");
  message_fn last_error = (message_fn)dlsym(library, "kconv_last_error_message");
  (void)unused;
  if (output_shape != NULL && last_error != NULL && output_shape(NULL, dims) != 0) {
    snprintf(message, sizeof(message), "%s", last_error());
  }
  pthread_mutex_lock(&lock);
  stage = 1;
  pthread_cond_broadcast(&changed);
  while (stage < 2) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* Whether /proc/self/maps lists a mapping of the library's file. */
static int mapped(const char* path) {
  char line[4096];
  int found = 0;
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) return -1;
  while (fgets(line, sizeof(line), maps) != NULL)
    if (strstr(line, path) != NULL) found = 1;
  fclose(maps);
  return found;
}

int main(void) {
  pthread_t thread;
  int ok = 1;
  library = dlopen(KCONV_TEST_SHARED_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  if (pthread_create(&thread, NULL, fail_a_call_and_wait, NULL) != 0) return 1;
  pthread_mutex_lock(&lock);
  while (stage < 1) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
  if (strstr(message, "desc is NULL") == NULL) {
    fprintf(stderr, "FAILED: the call on the thread did not fail as expected: '%s'\n", message);
    ok = 0;
  }
  if (mapped(KCONV_TEST_SHARED_LIBRARY) != 1) {
    fprintf(stderr, "FAILED: /proc/self/maps does not list the library while it is open\n");
    ok = 0;
  }
  if (dlclose(library) != 0) {
    fprintf(stderr, "FAILED: dlclose: %s\n", dlerror());
    ok = 0;
  }
  if (dlopen(KCONV_TEST_SHARED_LIBRARY, RTLD_NOW | RTLD_NOLOAD) != NULL) {
    fprintf(stderr, "FAILED: the library is still loaded after dlclose (RTLD_NOLOAD found it)\n");
    ok = 0;
  }
  if (mapped(KCONV_TEST_SHARED_LIBRARY) != 0) {
    fprintf(stderr, "FAILED: the library is still mapped after dlclose\n");
    ok = 0;
  }
  pthread_mutex_lock(&lock);
  stage = 2;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  pthread_join(thread, NULL); /* the thread exits with the library unmapped: no destructor of it may run */
  {
    /* Cycles after a first one (glibc keeps some bookkeeping from the first load). */
    int cycle;
    size_t before = 0;
    for (cycle = 0; cycle < 201 && ok; ++cycle) {
      int64_t dims[4];
      void* again = dlopen(KCONV_TEST_SHARED_LIBRARY, RTLD_NOW | RTLD_LOCAL);
      output_shape_fn output_shape = again != NULL ? (output_shape_fn)dlsym(again, "kconv_conv_output_shape") : NULL;
      if (output_shape == NULL || output_shape(NULL, dims) == 0) {
        fprintf(stderr, "FAILED: cycle %d could not load the library or fail a call\n", cycle);
        ok = 0;
      }
      if (again != NULL) dlclose(again);
      if (cycle == 0) before = mallinfo2().uordblks;
    }
    if (ok) {
      const size_t after = mallinfo2().uordblks;
      const long grown = (long)after - (long)before;
      printf("200 load/fail/unload cycles: the heap grew by %ld bytes\n", grown);
      if (grown > 200 * 256) {
        fprintf(stderr, "FAILED: %ld bytes per cycle stay allocated after dlclose\n", grown / 200);
        ok = 0;
      }
    }
  }
  if (ok) printf("unloaded: a failed call on a live thread did not keep the library mapped\n");
  return ok ? 0 : 1;
}
