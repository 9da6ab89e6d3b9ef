#pragma once
/// \file
/// Writing a file so that a crash never leaves a half-written one: the bytes go to a temporary
/// file in the same directory, which is flushed, fsync'ed and renamed over the target. A reader
/// sees either the old file or the complete new one.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "ctnn/io/file_error.hpp"

namespace ctnn::io {

/// Receives the bytes of a file being written.
class ByteSink {
 public:
  ByteSink(int fd, const std::filesystem::path& path) : fd_(fd), path_(path) {}
  void write(const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd_, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw FileError(path_, std::string("cannot write: ") + std::strerror(errno));
      }
      p += n;
      size -= std::size_t(n);
    }
  }
  void write(std::string_view s) { write(s.data(), s.size()); }

 private:
  int fd_;
  std::filesystem::path path_;
};

/// Calls `produce(sink)` to write `path` atomically. On any error (including one thrown by
/// `produce`) the temporary file is removed and the previous file, if any, is untouched.
inline void write_atomically(const std::filesystem::path& path,
                             const std::function<void(ByteSink&)>& produce) {
  namespace fs = std::filesystem;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw FileError(path, "cannot write: " + dir.string() +
                              (fs::exists(dir, ec) ? " is not a directory" : " does not exist"));
  if (fs::is_directory(path, ec)) throw FileError(path, "cannot write: it is a directory");
  const fs::path tmp = fs::path(path.string() + ".tmp." + std::to_string(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw FileError(path, std::string("cannot write: ") + std::strerror(errno));
  bool closed = false;
  try {
    ByteSink sink(fd, path);
    produce(sink);
    if (::fsync(fd) != 0) throw FileError(path, std::string("fsync: ") + std::strerror(errno));
    closed = true;  // close() releases the descriptor even when it reports an error
    if (::close(fd) != 0) throw FileError(path, std::string("close: ") + std::strerror(errno));
  } catch (...) {
    if (!closed) ::close(fd);
    fs::remove(tmp, ec);
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    fs::remove(tmp, ec);
    throw FileError(path, std::string("cannot rename temporary file: ") + std::strerror(err));
  }
  // Make the rename itself durable.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace ctnn::io
