# CPack's project config file (CPACK_PROJECT_CONFIG_FILE), read when cpack runs: the .deb's
# Depends are the packages of the shared libraries the connperf binary links (dpkg-shlibdeps on it
# alone: libc6, libstdc++6, libfmt9, zlib1g (--hdr-log's compressed histograms), libssl3 for TLS);
# the MPI module's own (libopenmpi3) are Recommends, since connperf loads the module only under
# mpirun and without it runs everything else.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()

# "libc6 (>= 2.34), libfmt9 (>= 9.1.0)" for one ELF file; dpkg-shlibdeps wants a debian/control.
function(connperf_shlibdeps file out)
  set(work "${CPACK_CONNPERF_BUILD}/_shlibdeps")
  if(CPACK_PACKAGE_DIRECTORY)  # cpack -B DIR: keep out of the build tree
    set(work "${CPACK_PACKAGE_DIRECTORY}/_shlibdeps")
  endif()
  file(MAKE_DIRECTORY "${work}/debian")
  file(WRITE "${work}/debian/control" "Source: connperf\n\nPackage: connperf\nArchitecture: any\n")
  execute_process(COMMAND dpkg-shlibdeps -O "-e${file}" WORKING_DIRECTORY "${work}"
                  OUTPUT_VARIABLE line RESULT_VARIABLE failed ERROR_VARIABLE error
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(failed)
    message(FATAL_ERROR "dpkg-shlibdeps ${file}: ${error}")
  endif()
  string(REGEX REPLACE "^shlibs:Depends=" "" line "${line}")
  set(${out} "${line}" PARENT_SCOPE)
endfunction()

connperf_shlibdeps("${CPACK_CONNPERF_BINARY}" depends)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${depends}")
if(CPACK_CONNPERF_MODULE AND EXISTS "${CPACK_CONNPERF_MODULE}")
  connperf_shlibdeps("${CPACK_CONNPERF_MODULE}" module_depends)
  # Only what the binary does not already depend on: libopenmpi3 and what it brings.
  string(REGEX REPLACE " \\([^)]*\\)" "" binary_packages "${depends}")
  string(REPLACE ", " ";" binary_packages "${binary_packages}")
  string(REPLACE ", " ";" module_depends "${module_depends}")
  set(recommends "")
  foreach(dep IN LISTS module_depends)
    string(REGEX REPLACE " .*" "" package "${dep}")
    list(FIND binary_packages "${package}" at)  # not IN_LIST: cpack reads this under old policies
    if(at EQUAL -1)
      list(APPEND recommends "${dep}")
    endif()
  endforeach()
  string(REPLACE ";" ", " recommends "${recommends}")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "${recommends}")
endif()
