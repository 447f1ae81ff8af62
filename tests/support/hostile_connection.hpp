#pragma once

/// A connection that lets a test rewrite, drop or add the frames one side sends: every kind of
/// misbehaviour, seen by a real peer on the other side.

#include "proto/peer.hpp"

#include <functional>
#include <vector>

namespace dynfeed::test {

/// Wraps one end of a link; every frame that end sends passes through `rewrite`.
class hostile_connection final : public connection {
public:
  using rewrite_fn = std::function<std::vector<bytes>(bytes frame, uint64_t index)>;

  hostile_connection(connection& inner, rewrite_fn rewrite)
    : inner_(inner), rewrite_(std::move(rewrite)) {}

  void transmit(bytes frame) override {
    for (bytes& out : rewrite_(std::move(frame), sent_++))
      inner_.transmit(std::move(out));
  }
  void close(msg::disconnect_reason why) override { inner_.close(why); }
  const node_id& remote() const override { return inner_.remote(); }
  byte_span handshake_hash() const override { return inner_.handshake_hash(); }
  bool initiator() const override { return inner_.initiator(); }

private:
  connection& inner_;
  rewrite_fn rewrite_;
  uint64_t sent_ = 0;
};

} // namespace dynfeed::test
