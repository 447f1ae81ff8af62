#define BOOST_TEST_MODULE control
#include "dynfeed/control/control.hpp"

#include "support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

using namespace dynfeed;

namespace {

/// What went wrong, for a message; read only when it failed.
template <class T>
std::string why(const expected<T>& r) {
  return r ? "" : r.error().to_string();
}

bytes text(const std::string& s) {
  return bytes(s.begin(), s.end());
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(v >> shift));
}

sockaddr_un address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

/// Sends `request` raw to the socket of `dir` and returns everything the server answers.
/// With `finish`, the request's end is marked (the server sees the end of the stream); without,
/// the connection stays open, as a client that is still sending or has stalled.
std::string exchange(const std::string& dir, const std::string& request, bool finish = true) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = address(control_socket_path(dir));
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  BOOST_REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL)
                == static_cast<ssize_t>(request.size()));
  if (finish)
    ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[256];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    reply.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return reply;
}

/// A server on a fresh directory whose handlers record what reached them.
struct served_dir {
  test::temp_dir tmp;
  std::mutex mutex;
  std::vector<std::vector<bytes>> appends;
  std::vector<std::pair<bytes, bytes>> values;
  std::unique_ptr<control_server> server;

  explicit served_dir(control_limits limits = small_limits(), bool values_too = true) {
    control_server::handlers on;
    on.append = [this](std::vector<bytes> blocks) -> expected<uint64_t> {
      std::lock_guard<std::mutex> lock{mutex};
      appends.push_back(std::move(blocks));
      return 10 + appends.size();
    };
    if (values_too)
      on.put_value = [this](bytes salt, bytes value) -> expected<uint64_t> {
        std::lock_guard<std::mutex> lock{mutex};
        if (value == text("refuse me"))
          return error{base_errc::invalid_argument, "the value feed says no"};
        values.emplace_back(std::move(salt), std::move(value));
        return values.size();
      };
    auto started = control_server::start(tmp.path(), limits, std::move(on));
    BOOST_REQUIRE_MESSAGE(started, why(started));
    server = std::move(*started);
  }

  static control_limits small_limits() {
    control_limits limits;
    limits.append.block_count_max = 4;
    limits.append.block_size_max = 16;
    limits.append.batch_size_max = 40;
    limits.salt_size_max = 8;
    limits.value_size_max = 32;
    return limits;
  }

  size_t calls() {
    std::lock_guard<std::mutex> lock{mutex};
    return appends.size() + values.size();
  }
  std::string dir() const { return tmp.path(); }
};

std::string append_header(uint32_t count) {
  std::string r = "DFC1";
  put_u32(r, count);
  return r;
}

void expect_error_reply(const std::string& reply, const std::string& fragment) {
  BOOST_TEST(reply.rfind("error control: ", 0) == 0, reply);
  BOOST_TEST(reply.find(fragment) != std::string::npos, reply);
  BOOST_TEST(reply.back() == '\n');
}

/// Binds a socket at `path` and closes it without removing the file, as a killed node leaves it.
void leave_stale_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = address(path);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
  ::chmod(path.c_str(), 0600);
}

} // namespace

BOOST_AUTO_TEST_CASE(appends_and_values_reach_their_handlers) {
  served_dir d;
  auto length = control_append(d.dir(), {text("one"), text(""), text("three")});
  BOOST_REQUIRE_MESSAGE(length, why(length));
  BOOST_TEST(*length == 11u);
  auto seq = control_put_value(d.dir(), text("salt"), text("hello"));
  BOOST_REQUIRE_MESSAGE(seq, why(seq));
  BOOST_TEST(*seq == 1u);
  BOOST_REQUIRE(d.appends.size() == 1u);
  BOOST_TEST((d.appends[0] == std::vector<bytes>{text("one"), text(""), text("three")}));
  BOOST_TEST((d.values[0] == std::pair<bytes, bytes>{text("salt"), text("hello")}));
  struct stat st;
  BOOST_REQUIRE(::lstat(control_socket_path(d.dir()).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  // The wire format is the documented one: a raw request gets the documented answer.
  std::string raw = append_header(1);
  put_u32(raw, 2);
  raw += "ab";
  BOOST_TEST(exchange(d.dir(), raw) == "ok 12\n");
  BOOST_TEST((d.appends[1] == std::vector<bytes>{text("ab")}));
}

BOOST_AUTO_TEST_CASE(unknown_and_unserved_requests_are_refused) {
  served_dir d;
  expect_error_reply(exchange(d.dir(), "GET / HTTP/1.0\r\n"), "unknown request 'GET '");
  expect_error_reply(exchange(d.dir(), std::string("\x01\x02\x03\x04", 4)), "'" + std::string(4, '?') + "'");
  served_dir feed_only{served_dir::small_limits(), false};
  auto seq = control_put_value(feed_only.dir(), text(""), text("v"));
  BOOST_REQUIRE(!seq);
  BOOST_TEST(seq.error().is(control_errc::refused));
  BOOST_TEST(seq.error().context().find("no values") != std::string::npos, seq.error().context());
  // A handler's own refusal reaches the client with its message.
  auto refused = control_put_value(d.dir(), text(""), text("refuse me"));
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().is(control_errc::refused));
  BOOST_TEST(refused.error().context().find("the value feed says no") != std::string::npos);
  BOOST_TEST(d.calls() == 0u);
  BOOST_TEST(feed_only.calls() == 0u);
}

BOOST_AUTO_TEST_CASE(oversized_requests_are_refused_before_their_bytes_are_read) {
  served_dir d;
  // Each header alone gets its answer: the server does not wait for the bytes it refuses.
  expect_error_reply(exchange(d.dir(), append_header(5), false), "block count of 5 is over the limit of 4");
  std::string big_block = append_header(1);
  put_u32(big_block, 17);
  expect_error_reply(exchange(d.dir(), big_block, false), "block size of 17 is over the limit of 16");
  std::string big_batch = append_header(3);
  for (int i = 0; i < 2; ++i) {
    put_u32(big_batch, 16);
    big_batch += std::string(16, 'x');
  }
  put_u32(big_batch, 9);
  expect_error_reply(exchange(d.dir(), big_batch, false), "batch size of 41 is over the limit of 40");
  std::string big_salt = "DFV1";
  put_u32(big_salt, 9);
  expect_error_reply(exchange(d.dir(), big_salt, false), "salt size of 9 is over the limit of 8");
  std::string big_value = "DFV1";
  put_u32(big_value, 0);
  put_u32(big_value, 0xffffffff);
  expect_error_reply(exchange(d.dir(), big_value, false), "value size of 4294967295");
  // Through the client, the same refusal is an error of its own.
  auto length = control_append(d.dir(), {bytes(17, 1)});
  BOOST_REQUIRE(!length);
  BOOST_TEST(length.error().is(control_errc::refused));
  BOOST_TEST(length.error().context().find("over the limit") != std::string::npos);
  BOOST_TEST(d.calls() == 0u);
}

BOOST_AUTO_TEST_CASE(truncated_requests_and_bad_arguments_change_nothing) {
  served_dir d;
  expect_error_reply(exchange(d.dir(), ""), "truncated request");
  expect_error_reply(exchange(d.dir(), "DF"), "truncated request");
  expect_error_reply(exchange(d.dir(), "DFC1\x00\x00"), "truncated request");
  // The client closes mid-request: two blocks announced, one and a half sent.
  std::string half = append_header(2);
  put_u32(half, 3);
  half += "abc";
  put_u32(half, 5);
  half += "ab";
  expect_error_reply(exchange(d.dir(), half), "truncated request");
  std::string value_half = "DFV1";
  put_u32(value_half, 2);
  value_half += "s";
  expect_error_reply(exchange(d.dir(), value_half), "truncated request");
  expect_error_reply(exchange(d.dir(), append_header(0)), "bad argument: an append needs at least one block");
  auto empty = control_append(d.dir(), {});
  BOOST_REQUIRE(!empty);
  BOOST_TEST(empty.error().is(control_errc::bad_argument));
  // A client gone before the answer: writing it fails quietly (no SIGPIPE kills the process).
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr = address(control_socket_path(d.dir()));
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_REQUIRE(::send(fd, half.data(), half.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(half.size()));
    ::close(fd);
  }
  BOOST_TEST(d.calls() == 0u);
  // The server goes on serving.
  BOOST_TEST(control_append(d.dir(), {text("fine")}).value() == 11u);
}

BOOST_AUTO_TEST_CASE(a_stalled_client_is_dropped_and_the_next_one_served) {
  control_limits limits = served_dir::small_limits();
  limits.idle_ms_max = 50;
  served_dir d{limits};
  // Nothing after the header: the server gives up after idle_ms_max, not never.
  expect_error_reply(exchange(d.dir(), append_header(1), false), "stalled for 50 ms");
  BOOST_TEST(d.calls() == 0u);
  BOOST_TEST(control_append(d.dir(), {text("next")}).value() == 11u);
}

BOOST_AUTO_TEST_CASE(sockets_other_users_could_reach_are_refused) {
  {
    // A directory others may write to: they could swap the socket for their own.
    test::temp_dir tmp;
    ::chmod(tmp.path().c_str(), 0777);
    auto started = control_server::start(tmp.path(), {}, {});
    BOOST_REQUIRE(!started);
    BOOST_TEST(started.error().is(control_errc::unsafe_socket));
    BOOST_TEST(started.error().context().find("chmod 700") != std::string::npos);
    BOOST_TEST(!std::filesystem::exists(control_socket_path(tmp.path())));
  }
  {
    // A socket others may connect to: the client does not send them the request.
    served_dir d;
    ::chmod(control_socket_path(d.dir()).c_str(), 0666);
    auto length = control_append(d.dir(), {text("secret")});
    BOOST_REQUIRE(!length);
    BOOST_TEST(length.error().is(control_errc::unsafe_socket));
    BOOST_TEST(length.error().context().find("other users") != std::string::npos);
    BOOST_TEST(d.calls() == 0u);
  }
  {
    // Something that is no socket stands where the socket goes: neither side touches it.
    test::temp_dir tmp;
    std::ofstream{control_socket_path(tmp.path())} << "mine";
    auto started = control_server::start(tmp.path(), {}, {});
    BOOST_REQUIRE(!started);
    BOOST_TEST(started.error().is(control_errc::unsafe_socket));
    auto length = control_append(tmp.path(), {text("x")});
    BOOST_REQUIRE(!length);
    BOOST_TEST(length.error().is(control_errc::unsafe_socket));
    std::ifstream in{control_socket_path(tmp.path())};
    std::string kept;
    in >> kept;
    BOOST_TEST(kept == "mine");
  }
}

BOOST_AUTO_TEST_CASE(stale_sockets_missing_nodes_and_live_servers) {
  test::temp_dir tmp;
  auto missing = control_append(tmp.path(), {text("x")});
  BOOST_REQUIRE(!missing);
  BOOST_TEST(missing.error().is(control_errc::no_node));
  BOOST_TEST(missing.error().context().find("no node serves") != std::string::npos);
  // A killed node left its socket behind: the client says so, a new server replaces it.
  leave_stale_socket(control_socket_path(tmp.path()));
  auto stale = control_append(tmp.path(), {text("x")});
  BOOST_REQUIRE(!stale);
  BOOST_TEST(stale.error().is(control_errc::no_node));
  BOOST_TEST(stale.error().context().find("stale") != std::string::npos);
  std::atomic<int> calls{0};
  control_server::handlers on;
  on.append = [&calls](std::vector<bytes>) -> expected<uint64_t> { return ++calls; };
  auto first = control_server::start(tmp.path(), {}, on);
  BOOST_REQUIRE_MESSAGE(first, why(first));
  // A live server is never replaced: the second one is refused and the first still serves.
  auto second = control_server::start(tmp.path(), {}, on);
  BOOST_REQUIRE(!second);
  BOOST_TEST(second.error().is(control_errc::in_use));
  BOOST_TEST(control_append(tmp.path(), {text("x")}).value() == 1u);
  first->reset();
  BOOST_TEST(!std::filesystem::exists(control_socket_path(tmp.path())));
  std::string too_long(200, 'd');
  auto far = control_server::start(tmp.path() + "/" + too_long, {}, on);
  BOOST_REQUIRE(!far);
  BOOST_TEST(far.error().is(control_errc::bad_argument));
}

BOOST_AUTO_TEST_CASE(a_node_that_closes_mid_request_or_answers_nonsense_is_an_error) {
  test::temp_dir tmp;
  std::string path = control_socket_path(tmp.path());
  int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = address(path);
  BOOST_REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::chmod(path.c_str(), 0600);
  BOOST_REQUIRE(::listen(listener, 4) == 0);
  // A stand-in node: answers each connection with the next of these after reading 4 bytes.
  std::vector<std::string> answers{"", "ok banana\n", "ok 12", "maybe\n", "ok 42\n"};
  std::thread node([&] {
    for (const std::string& answer : answers) {
      int c = ::accept(listener, nullptr, nullptr);
      char got[4];
      (void)!::read(c, got, sizeof got);
      (void)!::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  });
  bytes big(1 << 20, 7); // more than a socket buffer: the node closes before taking it all
  for (size_t i = 0; i + 1 < answers.size(); ++i) {
    auto r = control_append(tmp.path(), {big});
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().is(control_errc::no_answer), why(r));
  }
  BOOST_TEST(control_append(tmp.path(), {text("x")}).value() == 42u);
  node.join();
  ::close(listener);
}
