#pragma once
// The check every bad-input test makes of an io::FileError: load(path) must throw one whose
// what() is one line, starts with "<path>: " and contains each of `parts`.

#include <filesystem>
#include <initializer_list>
#include <string>

#include <catch2/catch.hpp>

#include "ctnn/io/file_error.hpp"

namespace ctnn::test {

template <class Load>
void expect_file_error(const std::filesystem::path& path, Load&& load,
                       std::initializer_list<std::string> parts) {
  INFO("file " << path.string());
  try {
    load(path);
    FAIL("no exception");
  } catch (const io::FileError& e) {
    const std::string what = e.what();
    INFO("what(): " << what);
    CHECK(e.path() == path);
    CHECK(what.rfind(path.string() + ": ", 0) == 0);
    CHECK(what.find('\n') == std::string::npos);
    for (const auto& p : parts)
      CHECK_THAT(what, Catch::Contains(p));
  }
}

}  // namespace ctnn::test
