# Writes OUT, a header defining CONNPERF_GIT as `git describe --always --dirty` of SRC, or as
# FALLBACK (-DCONNPERF_GIT_COMMIT=..., for builds from a tarball; "" by default) when SRC is not a
# git checkout or git is missing. Run at every build (cmake -P); OUT is rewritten only when its
# text changes, so an unchanged commit recompiles nothing.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE failed ERROR_QUIET)
if(failed OR commit STREQUAL "")
  set(commit "${FALLBACK}")
endif()
set(text "#define CONNPERF_GIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
