#pragma once

/// Test vectors from the reference implementations, read from ../shared/vectors (and tests/data)
/// at test time.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/hex.hpp"
#include "support/print.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string>

namespace dynfeed::test {

inline std::string shared_dir() {
  return DYNFEED_SHARED_DIR;
}

inline nlohmann::json load_vectors(const std::string& name) {
  std::string path = shared_dir() + "/vectors/" + name;
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot open test vectors " + path);
  return nlohmann::json::parse(in);
}

/// Vectors kept in this repository (tests/data), with the script that made them (tests/vectors).
inline nlohmann::json load_test_data(const std::string& name) {
  std::string path = std::string{DYNFEED_TEST_DATA_DIR} + "/" + name;
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot open test data " + path);
  return nlohmann::json::parse(in);
}

inline bytes hex_bytes(const nlohmann::json& j) {
  auto out = from_hex(j.get<std::string>());
  if (!out)
    throw std::runtime_error("bad hex in vectors: " + out.error().to_string());
  return *out;
}

} // namespace dynfeed::test
