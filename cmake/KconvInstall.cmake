# SPDX-License-Identifier: Apache-2.0
# What `cmake --install` puts under the prefix: the header, libkconv.so (SONAME libkconv.so.<major>), the
# self-contained libkconv_static.a, the CMake package (find_package(kconv CONFIG): kconv::kconv and
# kconv::kconv_static, with a version file), kconv.pc and kconv_static.pc for pkg-config, the tools and
# the licence.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Every static library `target` links, transitively (Abseil's archives behind kconv_absl).
function(kconv_static_closure target out_var)
  set(seen "")
  set(queue "${target}")
  set(archives "")
  while(queue)
    list(POP_FRONT queue current)
    if(current IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${current}")
    get_target_property(aliased "${current}" ALIASED_TARGET)
    if(aliased)
      list(APPEND queue "${aliased}")
      continue()
    endif()
    get_target_property(type "${current}" TYPE)
    if(type STREQUAL "STATIC_LIBRARY")
      list(APPEND archives "$<TARGET_FILE:${current}>")
    endif()
    foreach(property INTERFACE_LINK_LIBRARIES LINK_LIBRARIES)
      if(type STREQUAL "INTERFACE_LIBRARY" AND property STREQUAL "LINK_LIBRARIES")
        continue()
      endif()
      get_target_property(links "${current}" ${property})
      foreach(link IN LISTS links)
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
        if(TARGET "${link}")
          list(APPEND queue "${link}")
        endif()
      endforeach()
    endforeach()
  endwhile()
  set(${out_var} "${archives}" PARENT_SCOPE)
endfunction()

kconv_static_closure(kconv_absl absl_archives)
set(kconv_merged_static "${CMAKE_CURRENT_BINARY_DIR}/libkconv_static.a")
add_custom_command(
  OUTPUT "${kconv_merged_static}"
  COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/cmake/merge_static_library.sh" "${CMAKE_CXX_COMPILER}" "${CMAKE_OBJCOPY}"
          "${CMAKE_AR}" "${kconv_merged_static}" "$<TARGET_OBJECTS:kconv_objects>" ${absl_archives}
  DEPENDS kconv_objects $<TARGET_OBJECTS:kconv_objects> ${absl_archives} cmake/merge_static_library.sh
  COMMENT "libkconv_static.a: kconv and the Abseil it uses in one archive"
  COMMAND_EXPAND_LISTS VERBATIM)
add_custom_target(kconv_static_merged ALL DEPENDS "${kconv_merged_static}")

install(FILES include/kconv/kconv.h DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/kconv")
install(TARGETS kconv EXPORT kconvTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${kconv_merged_static}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
if(KCONV_BUILD_TOOLS)
  install(TARGETS kconv-bench kconv-tune RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
install(FILES LICENSE README.md DESTINATION "${CMAKE_INSTALL_DOCDIR}")

set(kconv_cmake_dir "${CMAKE_INSTALL_LIBDIR}/cmake/kconv")
install(EXPORT kconvTargets NAMESPACE kconv:: DESTINATION "${kconv_cmake_dir}")
configure_package_config_file(cmake/kconvConfig.cmake.in "${CMAKE_CURRENT_BINARY_DIR}/kconvConfig.cmake"
  INSTALL_DESTINATION "${kconv_cmake_dir}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
# 0.x: a minor version may change the ABI, so only the same major.minor is compatible.
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/kconvConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/kconvConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/kconvConfigVersion.cmake"
  DESTINATION "${kconv_cmake_dir}")

# pkg-config files that find the prefix from their own location, so an installed tree can be moved.
file(RELATIVE_PATH kconv_pc_to_prefix "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" kconv_pc_to_prefix "${kconv_pc_to_prefix}")
foreach(pc kconv kconv_static)
  configure_file("cmake/${pc}.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc" @ONLY)
  install(FILES "${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endforeach()
