# Cross-compiling for 64-bit Windows with mingw-w64 (Debian: gcc-mingw-w64-x86-64).
#
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
#         -DLC_WIN_DEPS=<prefix from scripts/build-windows-deps.sh>
#
# The "-posix" compiler variant uses the winpthreads threading model: the
# loop's pthread mutexes, _Thread_local and C11 atomics need it (the "-win32"
# variant has no pthread.h).  Debian installs both variants side by side.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(LC_MINGW_TRIPLET x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${LC_MINGW_TRIPLET}-gcc-posix ${LC_MINGW_TRIPLET}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${LC_MINGW_TRIPLET}-windres)
find_program(CMAKE_AR NAMES ${LC_MINGW_TRIPLET}-gcc-ar-posix ${LC_MINGW_TRIPLET}-ar)
find_program(CMAKE_RANLIB NAMES ${LC_MINGW_TRIPLET}-gcc-ranlib-posix ${LC_MINGW_TRIPLET}-ranlib)

# Dependencies built for Windows (jansson, Check) live in their own prefix;
# never pick up the build host's libraries or pkg-config files.
set(LC_WIN_DEPS "" CACHE PATH "Prefix holding the Windows builds of the dependencies")
# try_compile() re-reads this file in a sub-project: hand it the prefix too,
# or it would point pkg-config elsewhere for the rest of the configure run.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LC_WIN_DEPS)
set(CMAKE_FIND_ROOT_PATH /usr/${LC_MINGW_TRIPLET})
if(LC_WIN_DEPS)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${LC_WIN_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} "${LC_WIN_DEPS}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/${LC_MINGW_TRIPLET}/lib/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# C99 printf and scanf (%zu, %jd, %lld) instead of msvcrt's own.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")

# Link the GCC runtime and winpthreads statically: the .exe then runs on a
# Windows machine (or a fresh wine prefix) with nothing else installed.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Run the cross-built test and helper programs under wine where CMake needs to.
find_program(LC_WINE NAMES wine64 wine)
if(LC_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LC_WINE})
endif()
