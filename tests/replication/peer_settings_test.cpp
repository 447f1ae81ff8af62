// A peer keeps its config in a table shared by the peers of the same config, kept while one of
// them lives: each peer still says and does what its own config says, also when made after
// the last peer of its config was gone, and beside peers of another config.

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/replication/peer.hpp"
#include "dynfeed/sim/runtime.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace dynfeed;
using namespace dynfeed::sim;
using namespace std::chrono_literals;

namespace {

using event_log = std::vector<std::string>;

std::string ms(clock_time t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t).count());
}

/// The far end of a peer's link: logs the hello it gets and when the link ends, and never
/// says hello itself (so that the peer's hello timer fires).
class hello_catcher final : public connected_component {
public:
  hello_catcher(event_log& log, std::string name) : log_(log), name_(std::move(name)) {}
  void on_remote(context&, byte_span frame) override {
    auto m = msg::decode_wire(frame);
    if (auto* h = m ? std::get_if<msg::hello>(&*m) : nullptr)
      log_.push_back(name_ + " hello " + h->user_agent + " " + std::to_string(h->listen_port) + " "
                     + std::to_string(h->frame_size_max));
  }
  void on_disconnect(context& ctx, msg::disconnect_reason) override {
    log_.push_back(name_ + " ended at " + ms(ctx.now()));
    gone_ = true;
  }
  void on_message(context&, component_id, byte_span) override {}
  bool alive() const override { return !gone_; }

private:
  event_log& log_;
  std::string name_;
  bool gone_ = false;
};

node_key key_of(uint8_t n) {
  node_key key;
  key.bytes[0] = n;
  return key;
}

} // namespace

BOOST_AUTO_TEST_CASE(peers_of_one_config_share_it_and_each_does_what_its_own_says) {
  runtime rt(1);
  event_log log;
  peer_config x;
  x.user_agent = "x";
  x.listen_port = 4000;
  x.frame_size_max = 1000;
  x.hello_timeout = 2s;
  peer_config y = x;
  y.user_agent = "y";
  y.frame_size_max = 2000;
  y.hello_timeout = 5s;
  uint8_t next_key = 1;
  auto link = [&](const peer_config& config, const std::string& name) {
    uint8_t k = next_key;
    next_key += 2;
    rt.connect(
      key_of(k), key_of(static_cast<uint8_t>(k + 1)), 1ms,
      [&](connection& c) { return std::make_unique<peer>(config, c); },
      [&](connection&) { return std::make_unique<hello_catcher>(log, name); });
  };
  link(x, "x1");
  link(x, "x2");
  link(y, "y1");
  rt.run_until(3s); // both x peers timed out at 2 s: their config's entry is gone
  link(x, "x3");    // made again, from the same config
  rt.run_until(10s);
  event_log expected{
    "x1 hello x 4000 1000", "x2 hello x 4000 1000", "y1 hello y 4000 2000",
    "x1 ended at 2001",     "x2 ended at 2001",     "x3 hello x 4000 1000",
    "y1 ended at 5001",     "x3 ended at 5001",
  };
  BOOST_TEST(log == expected, boost::test_tools::per_element());
}
