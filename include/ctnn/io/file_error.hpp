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

namespace detail {
/// Throws FileError unless `path` is a regular file (or a link to one): "no such file", "is a
/// directory, expected <what>", or "is not a regular file" (a device or a pipe, which could
/// block or never end).
inline void require_regular_file(const std::filesystem::path& path, const std::string& what) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw FileError(path, "no such file");
  if (std::filesystem::is_directory(status))
    throw FileError(path, "is a directory, expected " + what);
  if (!std::filesystem::is_regular_file(status))
    throw FileError(path, "is not a regular file, expected " + what);
}
}  // namespace detail

}  // namespace ctnn::io
