#pragma once
// The libFuzzer harnesses' common part: the loaders read files, so each input is written to a
// file of its own (in /dev/shm when there is one, so nothing touches a disk) and loaded from
// there, through the same code path a user's file takes.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace ctnn_fuzz {

/// Writes the input to this process's scratch file and returns its path.
inline const std::filesystem::path& write_input(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path path =
      (std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                 : std::filesystem::temp_directory_path()) /
      ("ctnn_fuzz_input_" + std::to_string(::getpid()));
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace ctnn_fuzz
