#include "dynfeed/channel/secure_channel.hpp"

#include "dynfeed/base/assert.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace dynfeed {

namespace {

uint16_t load_u16be(const uint8_t* in) noexcept {
  return static_cast<uint16_t>((in[0] << 8) | in[1]);
}
void store_u16be(uint8_t* out, size_t v) noexcept {
  out[0] = static_cast<uint8_t>(v >> 8);
  out[1] = static_cast<uint8_t>(v);
}
uint32_t load_u32be(const uint8_t* in) noexcept {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) | in[3];
}
void store_u32be(uint8_t* out, size_t v) noexcept {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

byte_span drop_front(byte_span s, size_t count) noexcept {
  return s.subspan(count, s.size() - count);
}

/// The most wire bytes `size` plaintext bytes can take when appended after an open message:
/// each transport message adds its size prefix and tag, and the open one may be nearly full.
size_t wire_size_bound(size_t size) noexcept {
  size_t messages = size / noise_plaintext_size_max + 2;
  return size + messages * (channel_message_header_size + noise_tag_size);
}

/// The largest payload of the responder's message 2 (e, encrypted s and tags).
constexpr size_t handshake_payload_size_limit = noise_message_size_max - 96;

} // namespace

secure_channel::secure_channel(noise_role role, const noise_keypair& static_keys,
                               secure_channel_config config)
  : role_(role), config_(std::move(config)) {
  DYNFEED_REQUIRE(config_.frame_size_max <= std::numeric_limits<uint32_t>::max());
  DYNFEED_REQUIRE(config_.output_buffer_max
                  >= wire_size_bound(channel_frame_header_size + config_.frame_size_max)
                       + channel_incoming_buffer_max);
  DYNFEED_REQUIRE(config_.handshake_payload.size() <= handshake_payload_size_limit);
  handshake_ = std::make_unique<noise_handshake>(
    role == noise_role::initiator ? noise_handshake::initiator(static_keys, config_.prologue)
                                  : noise_handshake::responder(static_keys, config_.prologue));
  if (role == noise_role::initiator) {
    // The first message travels in clear, so it carries no payload.
    auto first = handshake_->write_message({});
    DYNFEED_ASSERT(first.has_value());
    queue_message(*first);
  }
}

const noise_public_key& secure_channel::remote_static() const {
  DYNFEED_REQUIRE(open_);
  return remote_static_;
}

const bytes& secure_channel::remote_payload() const {
  DYNFEED_REQUIRE(open_);
  return remote_payload_;
}

const noise_hash& secure_channel::handshake_hash() const {
  DYNFEED_REQUIRE(open_);
  return handshake_hash_;
}

status secure_channel::fail(error err) {
  failure_ = err;
  return err;
}

// ---- incoming -------------------------------------------------------------------------------

status secure_channel::feed(byte_span incoming, channel_events& events) {
  if (failed())
    return error{channel_errc::channel_failed, failure_.to_string()};
  while (!incoming.empty()) {
    // Fast path: a whole message in the caller's bytes is processed where it lies.
    if (partial_size_ == 0 && incoming.size() >= channel_message_header_size) {
      size_t size = load_u16be(incoming.data());
      if (incoming.size() >= channel_message_header_size + size) {
        byte_span message = incoming.subspan(channel_message_header_size, size);
        incoming = drop_front(incoming, channel_message_header_size + size);
        if (auto st = on_message(message, events); !st)
          return fail(std::move(st).error());
        continue;
      }
    }
    // Otherwise gather the message across calls: first its size, then its body.
    if (partial_.empty())
      partial_.resize(channel_incoming_buffer_max);
    size_t want = partial_size_ < channel_message_header_size
                    ? channel_message_header_size
                    : channel_message_header_size + load_u16be(partial_.data());
    size_t take = std::min(want - partial_size_, incoming.size());
    std::memcpy(partial_.data() + partial_size_, incoming.data(), take);
    partial_size_ += take;
    incoming = drop_front(incoming, take);
    if (partial_size_ >= channel_message_header_size
        && partial_size_ == channel_message_header_size + load_u16be(partial_.data())) {
      partial_size_ = 0;
      byte_span message{partial_.data() + channel_message_header_size,
                        load_u16be(partial_.data())};
      if (auto st = on_message(message, events); !st)
        return fail(std::move(st).error());
    }
  }
  return {};
}

status secure_channel::on_message(byte_span message, channel_events& events) {
  if (open_)
    return on_transport_message(message, events);
  return on_handshake_message(message, events);
}

status secure_channel::on_handshake_message(byte_span message, channel_events& events) {
  auto payload = handshake_->read_message(message);
  if (!payload)
    return std::move(payload).error();
  // Only the responder writes right after reading, and only after message 1.
  bool first_message = handshake_->writes_next() && role_ == noise_role::responder;
  if (first_message && !payload->empty())
    return error{channel_errc::cleartext_payload};
  if (payload->size() > config_.handshake_payload_size_max)
    return error{channel_errc::handshake_payload_too_large,
                 std::to_string(payload->size()) + " bytes"};
  remote_payload_ = std::move(*payload);
  if (handshake_->writes_next()) {
    auto reply = handshake_->write_message(config_.handshake_payload);
    if (!reply)
      return std::move(reply).error();
    queue_message(*reply);
  }
  if (handshake_->complete())
    return finish_handshake(events);
  return {};
}

status secure_channel::finish_handshake(channel_events& events) {
  auto transport = handshake_->split();
  if (!transport)
    return std::move(transport).error();
  transport_ = std::move(*transport);
  remote_static_ = handshake_->remote_static();
  handshake_hash_ = handshake_->handshake_hash();
  handshake_.reset();
  open_ = true;
  events.handshake_completed = true;
  if (early_.empty())
    return {};
  status st = append_plaintext(early_.span());
  early_.clear();
  early_.release_if_empty();
  return st;
}

status secure_channel::on_transport_message(byte_span message, channel_events& events) {
  if (message.size() < noise_tag_size)
    return error{channel_errc::message_too_short};
  size_t size = message.size() - noise_tag_size;
  if (in_frame_ && frame_.size() - frame_filled_ >= size) {
    // All of it belongs to the frame being assembled: decrypt straight into the frame.
    auto read = transport_.decrypt_into(message, frame_.data() + frame_filled_);
    if (!read)
      return std::move(read).error();
    frame_filled_ += size;
    if (frame_filled_ == frame_.size())
      end_frame(events);
    return {};
  }
  if (plaintext_.size() < noise_plaintext_size_max)
    plaintext_.resize(noise_plaintext_size_max);
  auto read = transport_.decrypt_into(message, plaintext_.data());
  if (!read)
    return std::move(read).error();
  return on_plaintext(byte_span{plaintext_.data(), size}, events);
}

status secure_channel::on_plaintext(byte_span plaintext, channel_events& events) {
  while (!plaintext.empty()) {
    if (in_frame_) {
      size_t take = std::min(frame_.size() - frame_filled_, plaintext.size());
      std::memcpy(frame_.data() + frame_filled_, plaintext.data(), take);
      frame_filled_ += take;
      plaintext = drop_front(plaintext, take);
      if (frame_filled_ == frame_.size())
        end_frame(events);
      continue;
    }
    size_t take = std::min(channel_frame_header_size - frame_header_size_, plaintext.size());
    std::memcpy(frame_header_ + frame_header_size_, plaintext.data(), take);
    frame_header_size_ += take;
    plaintext = drop_front(plaintext, take);
    if (frame_header_size_ == channel_frame_header_size) {
      frame_header_size_ = 0;
      if (auto st = start_frame(load_u32be(frame_header_), events); !st)
        return st;
    }
  }
  return {};
}

status secure_channel::start_frame(uint32_t size, channel_events& events) {
  if (size > config_.frame_size_max)
    return error{channel_errc::frame_too_large, std::to_string(size) + " bytes"};
  frame_ = bytes(size);
  frame_filled_ = 0;
  in_frame_ = true;
  if (size == 0)
    end_frame(events);
  return {};
}

void secure_channel::end_frame(channel_events& events) {
  events.frames.push_back(std::move(frame_));
  frame_ = bytes{};
  frame_filled_ = 0;
  in_frame_ = false;
}

// ---- outgoing -------------------------------------------------------------------------------

size_t secure_channel::output_size() const noexcept {
  return out_.size() + (early_.empty() ? 0 : wire_size_bound(early_.size()));
}

void secure_channel::queue_message(byte_span message) {
  DYNFEED_ASSERT(!message_open_);
  store_u16be(out_.extend(channel_message_header_size), message.size());
  out_.append(message);
}

status secure_channel::send(byte_span frame) {
  if (failed())
    return error{channel_errc::channel_failed, failure_.to_string()};
  if (frame.size() > config_.frame_size_max)
    return error{channel_errc::send_frame_too_large, std::to_string(frame.size()) + " bytes"};
  size_t plaintext_size = channel_frame_header_size + frame.size();
  if (output_size() + wire_size_bound(plaintext_size) > config_.output_buffer_max)
    return error{channel_errc::output_full};
  uint8_t header[channel_frame_header_size];
  store_u32be(header, frame.size());
  if (!open_) {
    early_.append(byte_span{header, sizeof header});
    early_.append(frame);
    return {};
  }
  if (auto st = append_plaintext(byte_span{header, sizeof header}); !st)
    return st;
  return append_plaintext(frame);
}

status secure_channel::append_plaintext(byte_span plaintext) {
  while (!plaintext.empty()) {
    if (!message_open_) {
      out_.extend(channel_message_header_size); // the size, written when sealed
      message_open_ = true;
      open_plaintext_size_ = 0;
    }
    size_t take = std::min(noise_plaintext_size_max - open_plaintext_size_, plaintext.size());
    std::memcpy(out_.extend(take), plaintext.data(), take);
    open_plaintext_size_ += take;
    plaintext = drop_front(plaintext, take);
    if (open_plaintext_size_ == noise_plaintext_size_max) {
      if (auto st = seal_open_message(); !st)
        return st;
    }
  }
  return {};
}

status secure_channel::seal_open_message() {
  if (!message_open_)
    return {};
  // The open message is the tail of out_: its size field, then its plaintext.
  uint8_t* tag = out_.extend(noise_tag_size);
  uint8_t* plaintext = tag - open_plaintext_size_;
  auto sealed = transport_.encrypt_in_place(plaintext, open_plaintext_size_);
  if (!sealed) {
    out_.drop_back(channel_message_header_size + open_plaintext_size_ + noise_tag_size);
    message_open_ = false;
    return fail(std::move(sealed).error());
  }
  store_u16be(plaintext - channel_message_header_size, *sealed);
  message_open_ = false;
  return {};
}

byte_span secure_channel::output() {
  if (message_open_ && !failed())
    (void)seal_open_message(); // a failure is kept in failure_ and reported by the next call
  size_t unsealed =
    message_open_ ? channel_message_header_size + open_plaintext_size_ : 0;
  return {out_.data(), out_.size() - unsealed};
}

void secure_channel::consume_output(size_t size) {
  size_t unsealed =
    message_open_ ? channel_message_header_size + open_plaintext_size_ : 0;
  DYNFEED_REQUIRE(size <= out_.size() - unsealed);
  out_.consume(size);
}

bytes secure_channel::take_output() {
  byte_span span = output();
  bytes out = span.to_bytes();
  consume_output(span.size());
  return out;
}

} // namespace dynfeed
