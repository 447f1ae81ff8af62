#pragma once

/// Running the dynfeed program under test (DYNFEED_PATH) from Boost.Test cases.

#include "support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace dynfeed::test {

inline process_result dynfeed_cmd(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), DYNFEED_PATH);
  return run_process(args, input);
}

/// A process that prints a first line (a key, a node ID) and then "listening on ADDRESS".
struct listening_process {
  child_process proc;
  std::string first;
  std::string address;

  explicit listening_process(std::vector<std::string> argv) : proc(std::move(argv)) {
    std::string line;
    BOOST_REQUIRE(proc.read_line(first));
    BOOST_REQUIRE(proc.read_line(line));
    BOOST_REQUIRE(line.rfind("listening on ", 0) == 0);
    address = line.substr(13);
  }
};

/// A refused command prints exactly one line on stderr, nothing on stdout, and exits non-zero.
inline void expect_refused(const process_result& r, const std::string& fragment) {
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  BOOST_TEST_MESSAGE(r.err);
  BOOST_TEST(r.err.find(fragment) != std::string::npos, "stderr: " << r.err);
}

} // namespace dynfeed::test
