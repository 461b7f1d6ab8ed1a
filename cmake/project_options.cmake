# Warnings and sanitizers as INTERFACE targets; every library links them.
add_library(slotd_warnings INTERFACE)
target_compile_options(slotd_warnings INTERFACE
  -Wall -Wextra -Wshadow=local -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wformat=2 -Wno-missing-field-initializers
  # Asio 1.18 awaitable frames with g++ 12: a false positive.
  -Wno-mismatched-new-delete)
if(SLOTD_WERROR)
  target_compile_options(slotd_warnings INTERFACE -Werror)
endif()

add_library(slotd_sanitizers INTERFACE)
if(SLOTD_SANITIZE)
  # e.g. -DSLOTD_SANITIZE=address,undefined
  target_compile_options(slotd_sanitizers INTERFACE
    -fsanitize=${SLOTD_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(slotd_sanitizers INTERFACE -fsanitize=${SLOTD_SANITIZE})
endif()

add_library(slotd_options INTERFACE)
target_link_libraries(slotd_options INTERFACE slotd_warnings slotd_sanitizers)
target_compile_features(slotd_options INTERFACE cxx_std_20)
