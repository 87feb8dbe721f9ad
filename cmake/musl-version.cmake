# The musl version, for run_info.libc.  musl has no function that returns
# its version (its FAQ: no __MUSL__ macro and no runtime query, by design),
# but its dynamic loader prints it when run with no arguments ("musl libc
# (x86_64)" then "Version 1.2.3"; ldso/dynlink.c).  The loader the compiler
# would link against is read from the compiler driver's link line (-###),
# run once at configure time, and its version passed as LC_MUSL_VERSION.
# A glibc toolchain, a cross compiler or a missing loader leaves it unset,
# and the report then says just "musl" for a musl build.
#
#   lc_musl_version(OUT_VAR)
function(lc_musl_version out)
  set(${out} "" PARENT_SCOPE)
  if(CMAKE_CROSSCOMPILING OR NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
    return()
  endif()
  set(probe "${CMAKE_BINARY_DIR}/CMakeFiles/lc-musl-probe.c")
  file(WRITE "${probe}" "int main(void) { return 0; }\n")
  execute_process(COMMAND ${CMAKE_C_COMPILER} "-###" "${probe}" -o "${probe}.out"
    ERROR_VARIABLE driver OUTPUT_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT driver MATCHES "-dynamic-linker[ \"]+([^ \"]*ld-musl[^ \"]*)")
    return()
  endif()
  set(loader "${CMAKE_MATCH_1}")
  if(NOT EXISTS "${loader}")
    return()
  endif()
  # Exits non-zero by design (no program to load): only the text counts.
  execute_process(COMMAND "${loader}" ERROR_VARIABLE banner OUTPUT_VARIABLE banner_out
    RESULT_VARIABLE ignored)
  if("${banner}${banner_out}" MATCHES "musl libc[^\n]*\nVersion ([0-9][0-9A-Za-z.+_-]*)")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  endif()
endfunction()
