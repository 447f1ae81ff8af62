/// Embedding dynfeed: two nodes in your own CAF actor system; one writes a feed, the other
/// clones it, verifying every block.
///   embed          the nodes link in-process (a memory_network, address "mem:writer")
///   embed --tcp    the reader dials the writer over TCP with Noise on 127.0.0.1
/// Exits non-zero unless the reader got every block.

#include <dynfeed/dynfeed.hpp>

#include <caf/all.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace dynfeed;
namespace fs = std::filesystem;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

/// The answer, or an exception that says why there is none.
template <class T>
T must(caf::expected<T> answer, const char* what) {
  if (!answer)
    throw std::runtime_error(std::string{what} + ": " + describe(answer.error()));
  return std::move(*answer);
}

/// Writes three blocks on `writer`, clones the feed on `reader`; true if every block arrived.
bool replicate(caf::scoped_actor& self, const node_actor& writer, const node_actor& reader,
               const fs::path& dir, bool tcp) {
  // The writer: a new feed with a random key pair (an all-zero seed), one signed append.
  auto wfeed = must(ask<feed_actor>(self, writer, timeout, atoms::create_feed::value,
                                       (dir / "writer").string(), key_seed{}),
                       "create_feed");
  std::vector<bytes> blocks;
  for (std::string text : {"hello", "from", "dynfeed"})
    blocks.emplace_back(text.begin(), text.end());
  uint64_t length = must(ask<uint64_t>(self, wfeed, timeout, atoms::append::value, blocks),
                            "append");
  public_key key = must(ask<feed_info>(self, wfeed, timeout, atoms::info::value), "info").key;

  peer_address address = peer_address::memory("writer");
  if (tcp) // port 0: any free port; the node answers with the address it bound
    address = must(ask<peer_address>(self, writer, timeout, atoms::listen::value,
                                        peer_address::tcp("127.0.0.1", 0)),
                      "listen");

  // The reader knows only the public key. It subscribes to the feed's events, asks for
  // everything the first peer has, and joins the feed's swarm with the writer as a peer.
  auto rfeed = must(ask<feed_actor>(self, reader, timeout, atoms::clone_feed::value, key,
                                       (dir / "reader").string()),
                       "clone_feed");
  self->send(rfeed, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
  self->send(rfeed, atoms::download::value, uint64_t{0}, download_to_end, false);
  must(ask<bool>(self, reader, timeout, atoms::join::value, rfeed,
                    std::vector<peer_address>{address}, feed_mode::stable),
          "join");

  uint64_t held = 0;
  bool over = false; // the download finished, or nothing happened for `timeout`
  while (held < length && !over) {
    self->receive([&](atoms::blocks, uint64_t /*first*/, uint64_t count) { held += count; },
                  [&](atoms::done) { over = true; }, [&](atoms::length, uint64_t) {},
                  [&](atoms::peers, uint64_t) {}, caf::after(timeout) >> [&] { over = true; });
  }
  std::cout << "cloned " << to_hex(key) << " from " << to_string(address) << ": " << held
            << " of " << length << " blocks\n";
  for (uint64_t i = 0; i < held; ++i) {
    bytes block = must(ask<bytes>(self, rfeed, timeout, atoms::get::value, i), "get");
    std::cout << "  " << i << ": " << std::string(block.begin(), block.end()) << '\n';
  }
  return held == length;
}

} // namespace

int main(int argc, char** argv) {
  bool tcp = argc == 2 && std::string{argv[1]} == "--tcp";
  if (argc > 2 || (argc == 2 && !tcp)) {
    std::cerr << "usage: embed [--tcp]\n";
    return 2;
  }
  std::string dir = (fs::temp_directory_path() / "dynfeed-embed-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::cerr << "embed: cannot create a directory in " << fs::temp_directory_path() << '\n';
    return 1;
  }

  // The sharing scheduler (idle threads sleep), CAF's own log off, and CAF's network layer,
  // which TCP needs: the set-up of the dynfeed command line's nodes.
  tcp_process_config cfg;
  add_error_categories(cfg); // sys.render(err) prints dynfeed's errors in words
  caf::actor_system sys{cfg};

  // In-process links find nodes by name in a shared memory_network; TCP needs a transport.
  auto memory = std::make_shared<memory_network>();
  auto config = [&](const std::string& name) {
    node_config nc;
    if (tcp) {
      nc.network = make_tcp_transport();
    } else {
      nc.memory = memory;
      nc.memory_name = name;
    }
    // Why connections ended (shutting down ends them too); called on any actor's thread.
    nc.log = [](const std::string& line) { std::cerr << "dynfeed: " + line + '\n'; };
    return nc;
  };
  node_actor writer = spawn_node(sys, config("writer"));
  node_actor reader = spawn_node(sys, config("reader"));

  bool ok = false;
  {
    caf::scoped_actor self{sys};
    try {
      ok = replicate(self, writer, reader, dir, tcp);
    } catch (const std::exception& e) {
      std::cerr << "embed: " << e.what() << '\n';
    }
    // Stops every feed (closing its store), swarm and peer of each node.
    self->send(writer, atoms::shutdown::value);
    self->send(reader, atoms::shutdown::value);
    self->wait_for(writer, reader);
  }
  fs::remove_all(dir);
  return ok ? 0 : 1;
}
