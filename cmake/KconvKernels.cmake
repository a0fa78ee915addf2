# Builds kernel families into per-config, per-architecture images and embeds them in the library.
#
# kconv_add_kernel_family(<family> [ARCHS <arch>...] [NO_PTX]) reads ptx/<family>.configs (a config name
# and five integers per line, whose meaning is the family's), generates one translation unit per config
# from ptx/<family>_instance.cu.in, and adds one nvcc invocation per (config, architecture) producing a
# cubin, plus one PTX per config for KCONV_PTX_ARCH unless NO_PTX. The architectures are KCONV_CUDA_ARCHS
# unless ARCHS names others; an architecture-specific target such as 90a is registered as 90 with its
# `arch_specific` flag set. kconv_write_registry(<out.cc>) then writes the registry table with the images
# embedded through .incbin.

set(KCONV_KERNEL_DIR "${CMAKE_CURRENT_BINARY_DIR}/kernels")
file(GLOB KCONV_KERNEL_HEADERS CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/ptx/*.cuh" "${CMAKE_CURRENT_SOURCE_DIR}/ptx/*.h")
set(KCONV_NVCC_FLAGS -O3 -std=c++17 -Xptxas=--warn-on-spills -Xptxas=-v CACHE STRING "nvcc flags for kernel images")

set_property(GLOBAL PROPERTY KCONV_IMAGE_FILES "")
set_property(GLOBAL PROPERTY KCONV_CONFIG_ROWS "")
set_property(GLOBAL PROPERTY KCONV_BLOB_ROWS "")
set_property(GLOBAL PROPERTY KCONV_CONFIG_COUNT 0)

# Appends one embedded file to the asm text in <asm_var>: symbols <symbol>_begin/_end (hidden) around its
# bytes, then a NUL so that PTX text is terminated as cuModuleLoadData requires.
function(kconv_append_incbin asm_var symbol file)
  string(CONCAT text "${${asm_var}}"
    "    \".balign 64\\n\"\n"
    "    \".globl ${symbol}_begin\\n.hidden ${symbol}_begin\\n${symbol}_begin:\\n\"\n"
    "    \".incbin \\\"${file}\\\"\\n\"\n"
    "    \".globl ${symbol}_end\\n.hidden ${symbol}_end\\n${symbol}_end:\\n.byte 0\\n\"\n")
  set(${asm_var} "${text}" PARENT_SCOPE)
endfunction()

function(kconv_add_image out cu mode arch)
  if(mode STREQUAL "cubin")
    set(target_flags -cubin "-gencode=arch=compute_${arch},code=sm_${arch}")
  else()
    set(target_flags -ptx "-arch=compute_${arch}")
  endif()
  get_filename_component(name "${out}" NAME)
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${KCONV_NVCC}" ${target_flags} ${KCONV_NVCC_FLAGS} "-I${CMAKE_CURRENT_SOURCE_DIR}/ptx" -o "${out}" "${cu}"
    DEPENDS "${cu}" ${KCONV_KERNEL_HEADERS}
    COMMENT "nvcc ${name}"
    VERBATIM)
  set_property(GLOBAL APPEND PROPERTY KCONV_IMAGE_FILES "${out}")
endfunction()

function(kconv_add_kernel_family family)
  cmake_parse_arguments(PARSE_ARGV 1 opt "NO_PTX" "" "ARCHS")
  set(archs ${KCONV_CUDA_ARCHS})
  if(DEFINED opt_ARCHS OR "ARCHS" IN_LIST opt_KEYWORDS_MISSING_VALUES)
    set(archs ${opt_ARCHS})
  endif()
  set(config_file "${CMAKE_CURRENT_SOURCE_DIR}/ptx/${family}.configs")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${config_file}")
  file(STRINGS "${config_file}" lines REGEX "^[ \t]*[a-z0-9]")
  get_property(config_index GLOBAL PROPERTY KCONV_CONFIG_COUNT)
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    string(REGEX REPLACE "[ \t]+" ";" fields "${line}")
    list(LENGTH fields field_count)
    # An optional seventh field, "tuning", marks a config only the autotuner tries (the heuristic never
    # chooses it).
    set(tuning_only false)
    if(field_count EQUAL 7)
      list(GET fields 6 marker)
      if(marker STREQUAL "tuning")
        set(tuning_only true)
        set(field_count 6)
      endif()
    endif()
    if(NOT field_count EQUAL 6)
      message(FATAL_ERROR "${config_file}: expected 'name v0 v1 v2 v3 v4 [tuning]', got '${line}'")
    endif()
    list(GET fields 0 config)
    foreach(v RANGE 4)
      math(EXPR field "${v} + 1")
      list(GET fields ${field} KCONV_V${v})
    endforeach()
    set(KCONV_SYMBOL "kconv_${family}_${config}")
    set(cu "${KCONV_KERNEL_DIR}/${KCONV_SYMBOL}.cu")
    configure_file("${CMAKE_CURRENT_SOURCE_DIR}/ptx/${family}_instance.cu.in" "${cu}" @ONLY)
    set_property(GLOBAL APPEND_STRING PROPERTY KCONV_CONFIG_ROWS
      "    {\"${family}\", \"${config}\", \"${family}/${config}\", {${KCONV_V0}, ${KCONV_V1}, ${KCONV_V2}, ${KCONV_V3}, ${KCONV_V4}}, ${tuning_only}},\n")
    foreach(arch IN LISTS archs)
      set(image "${KCONV_KERNEL_DIR}/${KCONV_SYMBOL}.sm_${arch}.cubin")
      kconv_add_image("${image}" "${cu}" cubin ${arch})
      string(REGEX REPLACE "a$" "" arch_number "${arch}")
      if(arch_number STREQUAL arch)
        set(specific false)
      else()
        set(specific true)
      endif()
      set_property(GLOBAL APPEND_STRING PROPERTY KCONV_BLOB_ROWS
        "${config_index} ${arch_number} kCubin ${specific} ${KCONV_SYMBOL} ${image}\n")
    endforeach()
    if(KCONV_PTX_ARCH AND NOT opt_NO_PTX)
      set(image "${KCONV_KERNEL_DIR}/${KCONV_SYMBOL}.compute_${KCONV_PTX_ARCH}.ptx")
      kconv_add_image("${image}" "${cu}" ptx ${KCONV_PTX_ARCH})
      set_property(GLOBAL APPEND_STRING PROPERTY KCONV_BLOB_ROWS
        "${config_index} ${KCONV_PTX_ARCH} kPtx false ${KCONV_SYMBOL} ${image}\n")
    endif()
    math(EXPR config_index "${config_index} + 1")
  endforeach()
  set_property(GLOBAL PROPERTY KCONV_CONFIG_COUNT ${config_index})
endfunction()

# Writes the registry source: the embedded images and the Configs()/Blobs() tables.
function(kconv_write_registry out_cc)
  get_property(config_rows GLOBAL PROPERTY KCONV_CONFIG_ROWS)
  get_property(blob_rows GLOBAL PROPERTY KCONV_BLOB_ROWS)
  string(REPLACE "\n" ";" blob_rows "${blob_rows}")
  set(asm "")
  set(decls "")
  set(table "")
  set(i 0)
  foreach(row IN LISTS blob_rows)
    if(row STREQUAL "")
      continue()
    endif()
    string(REPLACE " " ";" f "${row}")
    list(GET f 0 config_index)
    list(GET f 1 arch)
    list(GET f 2 kind)
    list(GET f 3 specific)
    list(GET f 4 symbol)
    list(GET f 5 file)
    kconv_append_incbin(asm "kconv_image_${i}" "${file}")
    string(APPEND decls "extern \"C\" KCONV_HIDDEN const unsigned char kconv_image_${i}_begin[], kconv_image_${i}_end[];\n")
    string(APPEND table "    {${config_index}, ${arch}, BlobKind::${kind}, ${specific}, \"${symbol}\", kconv_image_${i}_begin, kconv_image_${i}_end},\n")
    math(EXPR i "${i} + 1")
  endforeach()
  file(CONFIGURE OUTPUT "${out_cc}" CONTENT [=[
// Generated by cmake/KconvKernels.cmake: do not edit.
#include "runtime/blob_registry.h"

#define KCONV_HIDDEN __attribute__((visibility("hidden")))

__asm__(
    ".pushsection .rodata.kconv_images, \"a\", @progbits\n"
@asm@    ".popsection\n");

@decls@
namespace kconv {
namespace {

const KernelConfig kConfigs[] = {
@config_rows@};

const Blob kBlobs[] = {
@table@};

}  // namespace

std::span<const KernelConfig> Configs() { return kConfigs; }
std::span<const Blob> Blobs() { return kBlobs; }

}  // namespace kconv
]=] @ONLY)
  get_property(images GLOBAL PROPERTY KCONV_IMAGE_FILES)
  add_custom_target(kconv_images DEPENDS ${images})
  set_source_files_properties("${out_cc}" PROPERTIES OBJECT_DEPENDS "${images}")
endfunction()
