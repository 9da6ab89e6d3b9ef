#pragma once
/// \file
/// `FileError`: every problem with a file ctnn reads or writes, with the file's path first.

#include <filesystem>
#include <stdexcept>
#include <string>

namespace ctnn::io {

/// what() is "<path>: <what is wrong>".
class FileError : public std::runtime_error {
 public:
  FileError(const std::filesystem::path& path, const std::string& what)
      : std::runtime_error(path.string() + ": " + what), path_(path) {}
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ctnn::io
