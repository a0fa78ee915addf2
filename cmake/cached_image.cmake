# SPDX-License-Identifier: Apache-2.0
# Builds one kernel image through a content-addressed cache (KCONV_IMAGE_CACHE, cmake/KconvKernels.cmake),
# so that builds of one source tree in several folders compile each image once: tools/test.sh's release
# build, Python package and sanitizer build all embed the sm_80 and sm_90 images, and compiled them three
# times, most of CI's time.
#   cmake -DNVCC=<nvcc> -DNVCC_ID=<its version text's hash> -DSOURCE_DIR=<tree> -DHEADER_LIST=<file>
#         -DCACHE_DIR=<dir> -DSOURCE=<x.cu> -DOUTPUT=<image> -P cached_image.cmake -- <nvcc flags...>
# The key hashes what decides the image's bytes: the toolkit, the flags, the translation unit's text and
# every kernel header's path and text (HEADER_LIST: the same headers the image's build depends on, written
# at configure). Not the paths of the source tree or the build folder, which differ between the builds. A
# miss compiles into OUTPUT and publishes the image under its key by rename, so two builds racing on one key
# both leave whole files.

set(flags "")
set(after_separator FALSE)
foreach(i RANGE 1 ${CMAKE_ARGC})
  if(i EQUAL CMAKE_ARGC)
    break()
  endif()
  if(after_separator)
    list(APPEND flags "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
foreach(required NVCC NVCC_ID SOURCE_DIR HEADER_LIST CACHE_DIR SOURCE OUTPUT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "cached_image.cmake: -D${required}= missing")
  endif()
endforeach()

file(SHA256 "${SOURCE}" source_hash)
string(JOIN " " key_text "${NVCC_ID}" ${flags} "${source_hash}")
file(STRINGS "${HEADER_LIST}" headers)
foreach(header IN LISTS headers)
  file(SHA256 "${header}" header_hash)
  file(RELATIVE_PATH relative "${SOURCE_DIR}" "${header}")
  string(APPEND key_text " ${relative}=${header_hash}")
endforeach()
string(SHA256 key "${key_text}")
get_filename_component(extension "${OUTPUT}" LAST_EXT)
set(entry "${CACHE_DIR}/${key}${extension}")

if(EXISTS "${entry}")
  file(COPY_FILE "${entry}" "${OUTPUT}")
  file(TOUCH_NOCREATE "${OUTPUT}")  # newer than its inputs, whatever the entry's age
  return()
endif()
execute_process(COMMAND "${NVCC}" ${flags} "-I${SOURCE_DIR}" -o "${OUTPUT}" "${SOURCE}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(REMOVE "${OUTPUT}")
  message(FATAL_ERROR "nvcc failed (${result}) on ${SOURCE}")
endif()
file(MAKE_DIRECTORY "${CACHE_DIR}")
string(RANDOM LENGTH 12 suffix)
file(COPY_FILE "${OUTPUT}" "${entry}.${suffix}.partial")
file(RENAME "${entry}.${suffix}.partial" "${entry}")
