# LC_STATIC: one fully static loopcompat (the harness with every case linked
# in), for machines that have none of its libraries: a kernel booted under
# QEMU with a bare initramfs, a musl column.  Included from the top
# CMakeLists.txt before its options; see docs/static-and-musl.md.
#
# The libraries come from LC_STATIC_DEPS (scripts/build-static-deps.sh
# builds jansson, liburing and zlib there from Debian's source packages):
# pkg-config looks only there, so no shared library of the machine's can
# slip in.  libcurl is not looked for: a static libcurl needs static TLS,
# HTTP/2, IDN and compression libraries and theirs.  Without it the build
# leaves out publish and URL reading (harness/cmd_publish_none.c, the
# no-libcurl path of harness/report_io.c), and integration/libcurl-multi-
# socket reports SKIP with the reason.
option(LC_STATIC "Link a fully static loopcompat, without libcurl (docs/static-and-musl.md)" OFF)
set(LC_STATIC_DEPS "" CACHE PATH
  "Prefix holding the static dependencies (lib/pkgconfig), as built by scripts/build-static-deps.sh")

if(NOT LC_STATIC)
  return()
endif()
if(WIN32)
  message(FATAL_ERROR "LC_STATIC is for Linux; the Windows build is static already (scripts/windows-matrix.sh)")
endif()
if(LC_SANITIZE)
  message(FATAL_ERROR "LC_STATIC and LC_SANITIZE do not go together: the sanitizer runtimes are shared libraries")
endif()

# The test suites (Check) and benchmarks (libuv, libev, libevent) are
# dynamic programs with dependencies of their own; the static build is the
# harness alone.  A normal variable set before option() wins (CMP0077).
if(LC_BUILD_TESTS OR LC_BUILD_BENCH)
  message(STATUS "LC_STATIC: no test suites or benchmarks in the static build")
endif()
set(LC_BUILD_TESTS OFF)
set(LC_BUILD_BENCH OFF)

if(LC_STATIC_DEPS)
  if(NOT EXISTS "${LC_STATIC_DEPS}/lib/pkgconfig")
    message(FATAL_ERROR "LC_STATIC_DEPS=${LC_STATIC_DEPS}: no lib/pkgconfig there (run scripts/build-static-deps.sh)")
  endif()
  set(ENV{PKG_CONFIG_LIBDIR} "${LC_STATIC_DEPS}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
  list(PREPEND CMAKE_PREFIX_PATH "${LC_STATIC_DEPS}")
  # The musl build's Linux UAPI headers (scripts/build-static-deps.sh).
  if(IS_DIRECTORY "${LC_STATIC_DEPS}/kernel-headers")
    include_directories(SYSTEM "${LC_STATIC_DEPS}/kernel-headers")
  endif()
endif()

# Only archives: pkg-config's imported targets resolve each -l with
# find_library, which must not pick a shared library.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
# The installed library is an archive too.
set(BUILD_SHARED_LIBS OFF)
# -static on executables: no PT_INTERP, no DT_NEEDED (gcc(1), "-static").
add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-static>)
