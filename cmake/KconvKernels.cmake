# SPDX-License-Identifier: Apache-2.0
# Builds the kernel families (families/families.cmake lists them) into per-config, per-architecture images,
# embeds them in the library and generates the tables the runtime reads.
#
# kconv_add_kernel_families() reads, for each family <f> in KCONV_FAMILIES:
#   families/<f>/family.cmake   KCONV_FAMILY_FIELDS (the config's fields, in traits.h's Config order),
#                               KCONV_FAMILY_HOST_SOURCES (its planner, relative to families/) and
#                               optionally KCONV_FAMILY_ARCH_SPECIFIC (e.g. 90a: cubins for that target only,
#                               when KCONV_CUDA_ARCHS holds its number, and no PTX);
#   families/<f>/configs        one config per line: `name field=value ... [tuning|candidate]`, each field
#                               named exactly once ("tuning": a neighbour only the autotuner tries;
#                               "candidate": new kernels not yet checked and timed on a GPU, which run
#                               only when named, as the tools and the GPU suite name them).
# It parses every config line once, here, and writes the parsed fields twice from the same text: into one
# translation unit per config (from families/<f>/instance.cu.in, compiled by one nvcc invocation per
# architecture into a cubin, plus one PTX for KCONV_PTX_ARCH) and into the family's host table of configs
# (generated/<f>_configs.cc). kconv_write_registry(<out.cc>) then writes the registry: the families, every
# config tied to its family, and the images embedded through .incbin. A family named in the list but
# without its folder stops the configure; one without a planner stops the link.

set(KCONV_FAMILIES_DIR "${CMAKE_CURRENT_SOURCE_DIR}/families")
set(KCONV_KERNEL_DIR "${CMAKE_CURRENT_BINARY_DIR}/kernels")
set(KCONV_GENERATED_DIR "${CMAKE_CURRENT_BINARY_DIR}/generated")
file(GLOB KCONV_KERNEL_HEADERS CONFIGURE_DEPENDS
  "${CMAKE_CURRENT_SOURCE_DIR}/ptx/*.cuh" "${CMAKE_CURRENT_SOURCE_DIR}/ptx/*.h"
  "${KCONV_FAMILIES_DIR}/*/*.cuh" "${KCONV_FAMILIES_DIR}/*/*.h")
set(KCONV_NVCC_FLAGS -O3 -std=c++17 -Xptxas=--warn-on-spills -Xptxas=-v CACHE STRING "nvcc flags for kernel images")
set(KCONV_IMAGE_CACHE "" CACHE PATH
  "Folder of compiled kernel images shared by builds of one source tree (tools/test.sh); empty: none")
if(KCONV_IMAGE_CACHE)
  # What cmake/cached_image.cmake keys images by, besides the flags and the sources: the toolkit's version
  # text, and the kernel headers' list (the build re-reads their contents).
  execute_process(COMMAND "${KCONV_NVCC}" --version OUTPUT_VARIABLE nvcc_version COMMAND_ERROR_IS_FATAL ANY)
  string(SHA256 KCONV_NVCC_ID "${KCONV_NVCC} ${nvcc_version}")
  string(REPLACE ";" "\n" header_lines "${KCONV_KERNEL_HEADERS}")
  file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/kernel_headers.txt" "${header_lines}\n")
endif()

set_property(GLOBAL PROPERTY KCONV_IMAGE_FILES "")
set_property(GLOBAL PROPERTY KCONV_CONFIG_ROWS "")
set_property(GLOBAL PROPERTY KCONV_BLOB_ROWS "")
set_property(GLOBAL PROPERTY KCONV_FAMILY_HOST_FILES "")
set_property(GLOBAL PROPERTY KCONV_FAMILY_TEST_FILES "")
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
  set(compile "${KCONV_NVCC}" ${target_flags} ${KCONV_NVCC_FLAGS} "-I${CMAKE_CURRENT_SOURCE_DIR}" -o "${out}" "${cu}")
  if(KCONV_IMAGE_CACHE)
    set(compile "${CMAKE_COMMAND}" "-DNVCC=${KCONV_NVCC}" "-DNVCC_ID=${KCONV_NVCC_ID}"
      "-DSOURCE_DIR=${CMAKE_CURRENT_SOURCE_DIR}" "-DHEADER_LIST=${CMAKE_CURRENT_BINARY_DIR}/kernel_headers.txt"
      "-DCACHE_DIR=${KCONV_IMAGE_CACHE}" "-DSOURCE=${cu}" "-DOUTPUT=${out}"
      -P "${CMAKE_CURRENT_SOURCE_DIR}/cmake/cached_image.cmake" -- ${target_flags} ${KCONV_NVCC_FLAGS})
  endif()
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${compile}
    DEPENDS "${cu}" ${KCONV_KERNEL_HEADERS}
    COMMENT "nvcc ${name}"
    VERBATIM)
  set_property(GLOBAL APPEND PROPERTY KCONV_IMAGE_FILES "${out}")
endfunction()

# Parses one config line of <config_file> into <prefix>_NAME, <prefix>_TUNING, <prefix>_CANDIDATE and
# <prefix>_ASSIGNMENTS
# (`c.<field> = <value>;` for every field, in the order of <fields>), or stops the configure naming the line.
function(kconv_parse_config_line config_file line fields prefix)
  string(REGEX REPLACE "[ \t]+" ";" tokens "${line}")
  list(POP_FRONT tokens name)
  if(NOT name MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "${config_file}: config name '${name}' is not [a-z0-9_]+ (line '${line}')")
  endif()
  set(tuning false)
  set(candidate false)
  list(GET tokens -1 last)
  if(last STREQUAL "tuning" OR last STREQUAL "candidate")
    set(tuning true)  # neither is chosen by the heuristic
    if(last STREQUAL "candidate")
      set(candidate true)
    endif()
    list(POP_BACK tokens)
  endif()
  foreach(token IN LISTS tokens)
    if(NOT token MATCHES "^([a-z_0-9]+)=(-?[0-9]+)$")
      message(FATAL_ERROR "${config_file}: '${token}' is not field=integer (line '${line}')")
    endif()
    set(field "${CMAKE_MATCH_1}")
    if(NOT field IN_LIST fields)
      message(FATAL_ERROR "${config_file}: unknown field '${field}'; the family's fields are ${fields} (line '${line}')")
    endif()
    if(DEFINED value_${field})
      message(FATAL_ERROR "${config_file}: field '${field}' given twice (line '${line}')")
    endif()
    set(value_${field} "${CMAKE_MATCH_2}")
  endforeach()
  set(assignments "")
  foreach(field IN LISTS fields)
    if(NOT DEFINED value_${field})
      message(FATAL_ERROR "${config_file}: field '${field}' missing (line '${line}')")
    endif()
    string(APPEND assignments "c.${field} = ${value_${field}}; ")
  endforeach()
  string(STRIP "${assignments}" assignments)
  set(${prefix}_NAME "${name}" PARENT_SCOPE)
  set(${prefix}_TUNING ${tuning} PARENT_SCOPE)
  set(${prefix}_CANDIDATE ${candidate} PARENT_SCOPE)
  set(${prefix}_ASSIGNMENTS "${assignments}" PARENT_SCOPE)
endfunction()

function(kconv_add_kernel_family family)
  set(dir "${KCONV_FAMILIES_DIR}/${family}")
  foreach(required family.cmake configs instance.cu.in traits.h kernel.cuh)
    if(NOT EXISTS "${dir}/${required}")
      message(FATAL_ERROR "kernel family '${family}' (families/families.cmake) has no families/${family}/${required}")
    endif()
  endforeach()
  unset(KCONV_FAMILY_FIELDS)
  unset(KCONV_FAMILY_ARCH_SPECIFIC)
  unset(KCONV_FAMILY_HOST_SOURCES)
  include("${dir}/family.cmake")
  if(NOT KCONV_FAMILY_FIELDS OR NOT KCONV_FAMILY_HOST_SOURCES)
    message(FATAL_ERROR "families/${family}/family.cmake must set KCONV_FAMILY_FIELDS and KCONV_FAMILY_HOST_SOURCES")
  endif()
  foreach(source IN LISTS KCONV_FAMILY_HOST_SOURCES)
    set_property(GLOBAL APPEND PROPERTY KCONV_FAMILY_HOST_FILES "${KCONV_FAMILIES_DIR}/${source}")
  endforeach()
  file(GLOB tests CONFIGURE_DEPENDS "${dir}/*_test.cc")
  set_property(GLOBAL APPEND PROPERTY KCONV_FAMILY_TEST_FILES ${tests})

  set(archs ${KCONV_CUDA_ARCHS})
  set(with_ptx TRUE)
  if(KCONV_FAMILY_ARCH_SPECIFIC)
    string(REGEX REPLACE "a$" "" number "${KCONV_FAMILY_ARCH_SPECIFIC}")
    set(archs "")
    if(number IN_LIST KCONV_CUDA_ARCHS)
      set(archs ${KCONV_FAMILY_ARCH_SPECIFIC})
    endif()
    set(with_ptx FALSE)
  endif()

  set(config_file "${dir}/configs")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${config_file}" "${dir}/family.cmake")
  file(STRINGS "${config_file}" lines REGEX "^[ \t]*[^# \t]")
  get_property(config_index GLOBAL PROPERTY KCONV_CONFIG_COUNT)
  set(family_rows "")
  set(row_in_family 0)
  set(names "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    kconv_parse_config_line("${config_file}" "${line}" "${KCONV_FAMILY_FIELDS}" parsed)
    set(config "${parsed_NAME}")
    if(config IN_LIST names)
      message(FATAL_ERROR "${config_file}: config '${config}' listed twice")
    endif()
    list(APPEND names "${config}")
    set(KCONV_SYMBOL "kconv_${family}_${config}")
    set(KCONV_CONFIG_FIELDS "${parsed_ASSIGNMENTS}")
    set(cu "${KCONV_KERNEL_DIR}/${KCONV_SYMBOL}.cu")
    configure_file("${dir}/instance.cu.in" "${cu}" @ONLY)
    string(APPEND family_rows "    [] { Config c{}; ${parsed_ASSIGNMENTS} return c; }(),  // ${config}\n")
    set_property(GLOBAL APPEND_STRING PROPERTY KCONV_CONFIG_ROWS
      "    {\"${family}\", &${family}::Family, \"${config}\", \"${family}/${config}\", ${row_in_family}, ${parsed_TUNING}, ${parsed_CANDIDATE}},\n")
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
    if(KCONV_PTX_ARCH AND with_ptx)
      set(image "${KCONV_KERNEL_DIR}/${KCONV_SYMBOL}.compute_${KCONV_PTX_ARCH}.ptx")
      kconv_add_image("${image}" "${cu}" ptx ${KCONV_PTX_ARCH})
      set_property(GLOBAL APPEND_STRING PROPERTY KCONV_BLOB_ROWS
        "${config_index} ${KCONV_PTX_ARCH} kPtx false ${KCONV_SYMBOL} ${image}\n")
    endif()
    math(EXPR config_index "${config_index} + 1")
    math(EXPR row_in_family "${row_in_family} + 1")
  endforeach()
  if(row_in_family EQUAL 0)
    message(FATAL_ERROR "${config_file} lists no config")
  endif()
  set_property(GLOBAL PROPERTY KCONV_CONFIG_COUNT ${config_index})

  # The family's own table of its configs' fields, which its planner reads by KernelConfig::family_index.
  set(KCONV_FAMILY "${family}")
  set(KCONV_FAMILY_ROWS "${family_rows}")
  set(KCONV_FAMILY_CONFIG_COUNT ${row_in_family})
  file(CONFIGURE OUTPUT "${KCONV_GENERATED_DIR}/${family}_configs.cc" CONTENT [=[
// Generated by cmake/KconvKernels.cmake from families/@KCONV_FAMILY@/configs: do not edit.
#include "families/@KCONV_FAMILY@/traits.h"

namespace kconv {
namespace @KCONV_FAMILY@ {

extern const Config kConfigs[@KCONV_FAMILY_CONFIG_COUNT@] = {
@KCONV_FAMILY_ROWS@};
extern const int kConfigCount = @KCONV_FAMILY_CONFIG_COUNT@;

}  // namespace @KCONV_FAMILY@
}  // namespace kconv
]=] @ONLY)
  set_property(GLOBAL APPEND PROPERTY KCONV_FAMILY_HOST_FILES "${KCONV_GENERATED_DIR}/${family}_configs.cc")
endfunction()

function(kconv_add_kernel_families)
  include("${KCONV_FAMILIES_DIR}/families.cmake")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${KCONV_FAMILIES_DIR}/families.cmake")
  if(NOT KCONV_FAMILIES)
    message(FATAL_ERROR "families/families.cmake lists no kernel family")
  endif()
  foreach(family IN LISTS KCONV_FAMILIES)
    kconv_add_kernel_family(${family})
  endforeach()
  set(KCONV_FAMILIES ${KCONV_FAMILIES} PARENT_SCOPE)
endfunction()

# Writes the registry source: the families, the embedded images and the Families()/Configs()/Blobs() tables.
function(kconv_write_registry out_cc)
  get_property(config_rows GLOBAL PROPERTY KCONV_CONFIG_ROWS)
  get_property(blob_rows GLOBAL PROPERTY KCONV_BLOB_ROWS)
  string(REPLACE "\n" ";" blob_rows "${blob_rows}")
  set(family_decls "")
  set(family_rows "")
  foreach(family IN LISTS KCONV_FAMILIES)
    string(APPEND family_decls "namespace ${family} {\nconst KernelFamily& Family();  // families/${family}/planner.cc\n}\n")
    string(APPEND family_rows "    {\"${family}\", &${family}::Family},\n")
  endforeach()
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
// Generated by cmake/KconvKernels.cmake from families/families.cmake and each family's configs: do not edit.
#include "runtime/blob_registry.h"
#include "runtime/kernel_family.h"

#define KCONV_HIDDEN __attribute__((visibility("hidden")))

__asm__(
    ".pushsection .rodata.kconv_images, \"a\", @progbits\n"
@asm@    ".popsection\n");

@decls@
namespace kconv {

@family_decls@
namespace {

const FamilyEntry kFamilies[] = {
@family_rows@};

const KernelConfig kConfigs[] = {
@config_rows@};

const Blob kBlobs[] = {
@table@};

}  // namespace

std::span<const FamilyEntry> Families() { return kFamilies; }
std::span<const KernelConfig> Configs() { return kConfigs; }
std::span<const Blob> Blobs() { return kBlobs; }

}  // namespace kconv
]=] @ONLY)
  get_property(images GLOBAL PROPERTY KCONV_IMAGE_FILES)
  add_custom_target(kconv_images DEPENDS ${images})
  set_source_files_properties("${out_cc}" PROPERTIES OBJECT_DEPENDS "${images}")
endfunction()
