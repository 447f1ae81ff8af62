#pragma once

/// Frames that wait, in order, for a connection still being set up (a TCP connection whose peer
/// the node is spawning, an in-process link whose far end is not known yet). Bounded in frames
/// and bytes: a connection never drops a frame and goes on, so one frame past the bound ends
/// the connection instead (disconnect_reason::setup_backlog), and nothing that waited is sent.

#include "dynfeed/base/bytes.hpp"

#include <cstddef>
#include <vector>

namespace dynfeed {

class frame_backlog {
public:
  static constexpr size_t frames_max = 1024;
  /// Two of the largest frames a TCP connection takes (tcp_options::frame_size_max).
  static constexpr size_t size_max = size_t{16} << 20;

  /// Queues `frame`; false when it does not fit, and from then on the backlog holds nothing
  /// and refuses everything: the caller closes the connection.
  bool push(bytes frame) {
    if (overflowed_ || frames_.size() >= frames_max || frame.size() > size_max - size_) {
      overflowed_ = true;
      frames_.clear();
      size_ = 0;
      return false;
    }
    size_ += frame.size();
    frames_.push_back(std::move(frame));
    return true;
  }

  /// Everything that waited, oldest first; the backlog is empty afterwards.
  std::vector<bytes> take() {
    size_ = 0;
    return std::move(frames_);
  }

  size_t frames() const noexcept { return frames_.size(); }
  size_t size() const noexcept { return size_; }
  bool overflowed() const noexcept { return overflowed_; }

private:
  std::vector<bytes> frames_;
  size_t size_ = 0;
  bool overflowed_ = false;
};

} // namespace dynfeed
