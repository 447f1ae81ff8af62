# CAF 0.17 as Debian ships it (libcaf-dev) has no CMake package: find its headers and its two
# libraries and present them as the imported targets dynfeed::caf_core and dynfeed::caf_io.
# dynfeed's own build includes this file, and so does its installed package config, so the
# exported targets name the same targets in both. Set CMAKE_PREFIX_PATH for a CAF elsewhere.
# Sets dynfeed_CAF_FOUND.
if(NOT TARGET dynfeed::caf_core)
  find_path(DYNFEED_CAF_INCLUDE_DIR caf/all.hpp)
  find_library(DYNFEED_CAF_CORE_LIBRARY caf_core)
  find_library(DYNFEED_CAF_IO_LIBRARY caf_io)
  mark_as_advanced(DYNFEED_CAF_INCLUDE_DIR DYNFEED_CAF_CORE_LIBRARY DYNFEED_CAF_IO_LIBRARY)
  if(DYNFEED_CAF_INCLUDE_DIR AND DYNFEED_CAF_CORE_LIBRARY AND DYNFEED_CAF_IO_LIBRARY)
    add_library(dynfeed::caf_core UNKNOWN IMPORTED)
    set_target_properties(dynfeed::caf_core PROPERTIES
      IMPORTED_LOCATION "${DYNFEED_CAF_CORE_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${DYNFEED_CAF_INCLUDE_DIR}")
    add_library(dynfeed::caf_io UNKNOWN IMPORTED)
    set_target_properties(dynfeed::caf_io PROPERTIES
      IMPORTED_LOCATION "${DYNFEED_CAF_IO_LIBRARY}"
      INTERFACE_LINK_LIBRARIES dynfeed::caf_core)
  endif()
endif()
if(TARGET dynfeed::caf_core AND TARGET dynfeed::caf_io)
  set(dynfeed_CAF_FOUND TRUE)
else()
  set(dynfeed_CAF_FOUND FALSE)
endif()
