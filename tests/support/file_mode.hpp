#pragma once

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>

namespace dynfeed::test {

/// The permission bits of `path`.
inline mode_t mode_of(const std::string& path) {
  struct stat st;
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

} // namespace dynfeed::test
