#pragma once

/// One encrypted, authenticated connection as a sans-IO state machine: the caller moves bytes
/// between it and a socket (or a simulated network), and it turns them into frames.
///
/// On the wire, every Noise message (the three of the XX handshake, then transport messages)
/// is preceded by its size as a 2-byte big-endian integer. The plaintexts of the transport
/// messages form one byte stream per direction, in which each frame is a 4-byte big-endian
/// size followed by that many bytes. A frame may span many transport messages and one
/// transport message may carry many frames: frames sent between two calls to output() are
/// packed into as few messages as fit.
///
/// Any failure caused by the peer's bytes is fatal: the channel keeps the error and refuses
/// everything afterwards. Errors are `noise_errc` (handshake and decryption failures) or
/// `channel_errc` values.

#include "dynfeed/base/bytes.hpp"
#include "dynfeed/base/expected.hpp"
#include "dynfeed/channel/byte_queue.hpp"
#include "dynfeed/channel/errc.hpp"
#include "dynfeed/crypto/noise.hpp"

#include <memory>
#include <vector>

namespace dynfeed {

/// The size prefix of each Noise message on the wire.
constexpr size_t channel_message_header_size = 2;
/// The size prefix of each frame in the plaintext stream.
constexpr size_t channel_frame_header_size = 4;
/// The most incoming bytes the channel buffers besides the frame it assembles: one Noise
/// message with its size prefix.
constexpr size_t channel_incoming_buffer_max =
  channel_message_header_size + noise_message_size_max;

struct secure_channel_config {
  bytes prologue;          ///< both sides must use the same, or the handshake fails
  bytes handshake_payload; ///< sent encrypted in this side's last handshake message
  /// The largest frame in either direction. A block (4 MiB) with its proof must fit.
  size_t frame_size_max = 8u << 20;
  /// The most output bytes buffered (sealed or not) before send() refuses with output_full.
  /// It must leave room for one frame of frame_size_max and a handshake message.
  size_t output_buffer_max = 24u << 20;
  /// The largest handshake payload accepted from the peer.
  size_t handshake_payload_size_max = 4096;
};

/// What one call to feed() produced. The caller may reuse one across calls (clear() keeps
/// the vector's capacity).
struct channel_events {
  bool handshake_completed = false; ///< the handshake completed during this call
  std::vector<bytes> frames;        ///< frames received, in order
  void clear() {
    handshake_completed = false;
    frames.clear();
  }
};

class secure_channel {
public:
  /// The initiator's first handshake message is in output() at once.
  secure_channel(noise_role role, const noise_keypair& static_keys,
                 secure_channel_config config);

  /// Consumes bytes read from the peer, all of them; adds what they completed to `events`.
  /// Returns the fatal error if the channel failed (now or earlier).
  status feed(byte_span incoming, channel_events& events);

  /// Queues one frame. Frames queued before the handshake completes are sent after it.
  /// Fails, changing nothing, when the frame is too large or the output buffer is full.
  status send(byte_span frame);

  /// The bytes to write to the peer: seals any queued plaintext into transport messages.
  /// Valid until the next call that changes the channel.
  byte_span output();
  /// Marks the first `size` bytes of output() as written.
  void consume_output(size_t size);
  /// output() as owned bytes, all marked written (a copy; output()/consume_output avoid it).
  bytes take_output();
  /// Output bytes buffered, sealed or not.
  size_t output_size() const noexcept;

  noise_role role() const noexcept { return role_; }
  bool handshake_complete() const noexcept { return open_; }
  bool failed() const noexcept { return static_cast<bool>(failure_); }
  /// The error that failed the channel, or no error.
  const error& failure() const noexcept { return failure_; }

  /// The peer's static key. Requires handshake_complete().
  const noise_public_key& remote_static() const;
  /// The peer's handshake payload. Requires handshake_complete().
  const bytes& remote_payload() const;
  /// The handshake hash, the same on both sides. Requires handshake_complete().
  const noise_hash& handshake_hash() const;

private:
  status fail(error err);
  status on_message(byte_span message, channel_events& events);
  status on_handshake_message(byte_span message, channel_events& events);
  status finish_handshake(channel_events& events);
  status on_transport_message(byte_span message, channel_events& events);
  status on_plaintext(byte_span plaintext, channel_events& events);
  status start_frame(uint32_t size, channel_events& events);
  void end_frame(channel_events& events);
  void queue_message(byte_span message);
  status append_plaintext(byte_span plaintext);
  status seal_open_message();

  noise_role role_;
  secure_channel_config config_;
  std::unique_ptr<noise_handshake> handshake_; ///< until the handshake completes
  noise_transport transport_;
  bool open_ = false;
  error failure_;
  noise_public_key remote_static_;
  noise_hash handshake_hash_;
  bytes remote_payload_;

  // Incoming: a Noise message split across feed() calls, the decrypted plaintext of the
  // current message, and the frame being assembled.
  bytes partial_;
  size_t partial_size_ = 0;
  bytes plaintext_;
  uint8_t frame_header_[channel_frame_header_size] = {};
  size_t frame_header_size_ = 0;
  bytes frame_;
  size_t frame_filled_ = 0;
  bool in_frame_ = false;

  // Outgoing: wire bytes; the last transport message stays open (plaintext in place) until it
  // is full or output() is called. Frames sent before the handshake wait as plaintext.
  byte_queue out_;
  size_t open_plaintext_size_ = 0;
  bool message_open_ = false;
  byte_queue early_;
};

} // namespace dynfeed
