# Warnings as errors and the optional sanitizers, applied to every target of the project.
function(ksmg_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wcast-align -Wimplicit-fallthrough -Werror)
  # GCC 12 at -O3 (CMAKE_BUILD_TYPE=Release) reports -Wrestrict on plain std::string
  # concatenation inside libstdc++ (GCC bugs 105329, 105651): shown, but not fatal there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-error=restrict)
  endif()
  # Coverage-guided fuzzing needs the code under test instrumented, not only the harness: every
  # target of a fuzzing build gets libFuzzer's edge counters (the harnesses add its main()).
  if(KSMG_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  if(KSMG_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
