#include "dynfeed/krpc/codec.hpp"

#include "dynfeed/krpc/errc.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <string>

namespace dynfeed::krpc {

namespace {

constexpr int64_t int64_min = std::numeric_limits<int64_t>::min();
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

// The datagram is read in place: bencode::check() validates it building nothing (it refuses
// what bencode::decode() refuses, with the same errors) and tells an observer where the entries
// of the top-level dictionary and of `a` and `r` are, so the known keys are read from there
// without another walk. Decoding through a tree (decode_tree, the reference) cost an allocation
// per value; tests/krpc check both give the same message or the same error.

/// A value inside bencode that bencode::check() accepted.
using raw_value = bencode::scanned;

bool is_digit(uint8_t c) noexcept { return c >= '0' && c <= '9'; }

/// The value starting at `pos` of checked bencode; `pos` moves past it.
raw_value read_raw(byte_span d, size_t& pos) noexcept {
  raw_value v;
  size_t first = pos;
  uint8_t c = d[pos];
  if (c == 'i') {
    bool negative = d[++pos] == '-';
    pos += negative ? 1 : 0;
    uint64_t magnitude = 0;
    for (; d[pos] != 'e'; ++pos)
      magnitude = magnitude * 10 + (d[pos] - '0');
    ++pos;
    v.kind = 'i';
    v.number = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  } else if (is_digit(c)) {
    size_t size = 0;
    for (; d[pos] != ':'; ++pos)
      size = size * 10 + (d[pos] - '0');
    ++pos;
    v.kind = 's';
    v.text = d.subspan(pos, size);
    pos += size;
  } else {
    // A dictionary's keys are strings, so its keys and values are skipped alike.
    ++pos;
    while (d[pos] != 'e')
      read_raw(d, pos);
    ++pos;
    v.kind = c;
  }
  v.whole = d.subspan(first, pos - first);
  return v;
}

/// Calls `f(item)` for each element of a checked list (stops when it returns false).
template <class F>
void for_each_item(const raw_value& l, F&& f) {
  size_t pos = 1;
  while (l.whole[pos] != 'e')
    if (!f(read_raw(l.whole, pos)))
      return;
}

/// Every key the codec reads, at any level; others are skipped.
enum class known : uint8_t {
  a, cas, e, id, implied_port, info_hash, ip, k, nodes, port, q, r, ro, salt, seq, sig, t,
  target, token, v, values, y, none
};
constexpr size_t known_count = static_cast<size_t>(known::none);
constexpr std::array<std::string_view, known_count> known_names{
  "a", "cas", "e", "id", "implied_port", "info_hash", "ip", "k", "nodes", "port", "q", "r", "ro",
  "salt", "seq", "sig", "t", "target", "token", "v", "values", "y"};

bool equals(byte_span key, std::string_view name) noexcept {
  return std::equal(name.begin(), name.end(), key.begin());
}

/// The key `key` is, or known::none; a switch on its size and first byte leaves at most one
/// name to compare.
known known_of(byte_span key) noexcept {
  if (key.empty())
    return known::none;
  known k = known::none;
  switch (key.size()) {
    case 1:
      switch (key[0]) {
        case 'a': return known::a;
        case 'e': return known::e;
        case 'k': return known::k;
        case 'q': return known::q;
        case 'r': return known::r;
        case 't': return known::t;
        case 'v': return known::v;
        case 'y': return known::y;
        default: return known::none;
      }
    case 2:
      k = key[0] == 'i' ? (key[1] == 'd' ? known::id : known::ip) : known::ro;
      break;
    case 3:
      k = key[0] == 'c' ? known::cas : key[1] == 'e' ? known::seq : known::sig;
      break;
    case 4:
      k = key[0] == 'p' ? known::port : known::salt;
      break;
    case 5:
      k = key[0] == 'n' ? known::nodes : known::token;
      break;
    case 6:
      k = key[0] == 't' ? known::target : known::values;
      break;
    case 9:
      k = known::info_hash;
      break;
    case 12:
      k = known::implied_port;
      break;
    default:
      return known::none;
  }
  return equals(key, known_names[static_cast<size_t>(k)]) ? k : known::none;
}

/// The known keys of one dictionary (the top level, `a` or `r`), as check() told of them;
/// errors name the key as "a.port", "r.nodes", "t".
class fields {
public:
  explicit fields(std::string_view prefix) : prefix_(prefix) { present_.fill(false); }

  void set(byte_span key, const raw_value& v) {
    known k = known_of(key);
    if (k == known::none)
      return;
    present_[static_cast<size_t>(k)] = true;
    slots_[static_cast<size_t>(k)] = v;
  }

  const raw_value* find(known key) const {
    auto i = static_cast<size_t>(key);
    return present_[i] ? &slots_[i] : nullptr;
  }

  error missing(known key) const {
    return error{krpc_errc::missing_key, name(key) + " is missing"};
  }
  error bad(known key, const std::string& reason) const {
    return error{krpc_errc::bad_value, name(key) + ": " + reason};
  }

  /// A string of `size_min` to `size_max` bytes; `out` stays null when the key is absent
  /// (an error if `required`).
  error string(known key, size_t size_min, size_t size_max, bool required,
               const byte_span*& out) const {
    out = nullptr;
    const raw_value* v = find(key);
    if (!v)
      return required ? missing(key) : error{};
    if (v->kind != 's')
      return bad(key, "not a string");
    out = &v->text;
    if (out->size() < size_min || out->size() > size_max) {
      std::string expected = size_min == size_max
                               ? std::to_string(size_min)
                               : std::to_string(size_min) + " to " + std::to_string(size_max);
      return bad(key, std::to_string(out->size()) + " bytes, not " + expected);
    }
    return {};
  }

  template <class Fixed>
  error fixed(known key, bool required, Fixed& out, bool* present = nullptr) const {
    const byte_span* s = nullptr;
    if (error err = string(key, Fixed::size(), Fixed::size(), required, s))
      return err;
    if (s)
      out = Fixed::from(*s);
    if (present)
      *present = s != nullptr;
    return {};
  }

  /// An integer in [min, max]; `out` stays null when the key is absent.
  error integer(known key, int64_t min, int64_t max, bool required,
                const int64_t*& out) const {
    out = nullptr;
    const raw_value* v = find(key);
    if (!v)
      return required ? missing(key) : error{};
    if (v->kind != 'i')
      return bad(key, "not an integer");
    out = &v->number;
    if (*out < min || *out > max)
      return bad(key, std::to_string(*out) + " is not in [" + std::to_string(min) + ", "
                        + std::to_string(max) + "]");
    return {};
  }

  error optional_integer(known key, std::optional<int64_t>& out) const {
    const int64_t* i = nullptr;
    if (error err = integer(key, int64_min, int64_max, false, i))
      return err;
    if (i)
      out = *i;
    return {};
  }

  error flag(known key, bool& out) const {
    const int64_t* i = nullptr;
    if (error err = integer(key, 0, 1, false, i))
      return err;
    out = i && *i == 1;
    return {};
  }

  /// Any bencoded value, as its wire bytes.
  error raw(known key, bool required, std::optional<bytes>& out) const {
    const raw_value* v = find(key);
    if (!v)
      return required ? missing(key) : error{};
    out = v->whole.to_bytes();
    return {};
  }

  const raw_value* sub_dictionary(known key) const {
    const raw_value* v = find(key);
    return v && v->kind == 'd' ? v : nullptr;
  }

private:
  std::string name(known key) const {
    std::string_view k = known_names[static_cast<size_t>(key)];
    return prefix_.empty() ? std::string{k} : std::string{prefix_} + "." + std::string{k};
  }

  // Only the flags are cleared per datagram: a slot is read only when its flag is set.
  std::array<bool, known_count> present_;
  std::array<raw_value, known_count> slots_;
  std::string_view prefix_;
};

/// Where check() puts what it tells: the top level's known keys, `a`'s and `r`'s.
class datagram_fields final : public bencode::entry_observer {
public:
  fields top{""};
  fields a{"a"};
  fields r{"r"};

  void top_entry(byte_span key, const raw_value& v) override { top.set(key, v); }
  void inner_entry(byte_span outer, byte_span key, const raw_value& v) override {
    if (outer.size() != 1)
      return;
    if (outer[0] == 'a')
      a.set(key, v);
    else if (outer[0] == 'r')
      r.set(key, v);
  }
};

uint32_t load_u32be(const uint8_t* in) noexcept {
  return uint32_t{in[0]} << 24 | uint32_t{in[1]} << 16 | uint32_t{in[2]} << 8 | in[3];
}

error decode_top(const fields& f, const limits& lim, message& m) {
  const byte_span* s = nullptr;
  if (error err = f.string(known::t, 0, lim.transaction_size_max, true, s))
    return err;
  m.transaction = s->to_bytes();
  if (error err = f.string(known::v, 0, lim.version_size_max, false, s))
    return err;
  if (s)
    m.version = s->to_bytes();
  if (error err = f.string(known::ip, compact_peer_size, compact_peer_size, false, s))
    return err;
  if (s)
    m.ip = load_compact_peer(s->data());
  return f.flag(known::ro, m.read_only);
}

error decode_announce(const fields& a, const limits& lim, query& out) {
  announce_peer q;
  const int64_t* port = nullptr;
  const byte_span* token = nullptr;
  if (error err = a.fixed(known::info_hash, true, q.info_hash))
    return err;
  if (error err = a.integer(known::port, 0, 65535, true, port))
    return err;
  if (error err = a.flag(known::implied_port, q.implied_port))
    return err;
  if (error err = a.string(known::token, 0, lim.token_size_max, true, token))
    return err;
  q.port = static_cast<uint16_t>(*port);
  q.token = token->to_bytes();
  out = std::move(q);
  return {};
}

error decode_put(const fields& a, const limits& lim, query& out) {
  put q;
  const byte_span* token = nullptr;
  std::optional<bytes> v;
  if (error err = a.string(known::token, 0, lim.token_size_max, true, token))
    return err;
  if (error err = a.raw(known::v, true, v))
    return err;
  q.token = token->to_bytes();
  if (!a.find(known::k)) {
    for (known key : {known::sig, known::seq, known::salt, known::cas})
      if (a.find(key))
        return a.bad(key, "present in a put without k (an immutable put has v only)");
    q.item = immutable_put{std::move(*v)};
    out = std::move(q);
    return {};
  }
  mutable_put item;
  const int64_t* seq = nullptr;
  const byte_span* salt = nullptr;
  if (error err = a.fixed(known::k, true, item.k))
    return err;
  if (error err = a.fixed(known::sig, true, item.sig))
    return err;
  if (error err = a.integer(known::seq, int64_min, int64_max, true, seq))
    return err;
  if (error err = a.string(known::salt, 0, lim.bencode.string_size_max, false, salt))
    return err;
  if (error err = a.optional_integer(known::cas, item.cas))
    return err;
  item.seq = *seq;
  if (salt)
    item.salt = salt->to_bytes();
  item.v = std::move(*v);
  q.item = std::move(item);
  out = std::move(q);
  return {};
}

error decode_arguments(std::string_view method, const fields& a, const limits& lim,
                       query& out) {
  if (method == "ping") {
    out = ping{};
  } else if (method == "find_node") {
    find_node q;
    if (error err = a.fixed(known::target, true, q.target))
      return err;
    out = q;
  } else if (method == "get_peers") {
    get_peers q;
    if (error err = a.fixed(known::info_hash, true, q.info_hash))
      return err;
    out = q;
  } else if (method == "announce_peer") {
    return decode_announce(a, lim, out);
  } else if (method == "get") {
    get q;
    if (error err = a.fixed(known::target, true, q.target))
      return err;
    if (error err = a.optional_integer(known::seq, q.seq))
      return err;
    out = q;
  } else if (method == "put") {
    return decode_put(a, lim, out);
  } else {
    out = unknown_query{std::string{method}};
  }
  return {};
}

error decode_query(const datagram_fields& d, const limits& lim, message& m) {
  const fields& top = d.top;
  const byte_span* method = nullptr;
  if (error err = top.string(known::q, 0, lim.method_size_max, true, method))
    return err;
  const raw_value* args = top.sub_dictionary(known::a);
  if (!args)
    return top.find(known::a) ? top.bad(known::a, "not a dictionary") : top.missing(known::a);
  const fields& a = d.a;
  if (error err = a.fixed(known::id, true, m.sender))
    return err;
  query q;
  if (error err = decode_arguments(std::string_view{reinterpret_cast<const char*>(method->data()),
                                                  method->size()},
                                 a, lim, q))
    return err;
  m.content = std::move(q);
  return {};
}

error decode_nodes(const fields& r, const limits& lim, response& out) {
  const byte_span* s = nullptr;
  if (error err = r.string(known::nodes, 0, lim.nodes_max * compact_node_size, false, s))
    return err;
  if (!s)
    return {};
  if (s->size() % compact_node_size != 0)
    return r.bad(known::nodes, std::to_string(s->size()) + " bytes, not a multiple of 26");
  out.nodes.reserve(s->size() / compact_node_size);
  for (size_t at = 0; at < s->size(); at += compact_node_size) {
    node_info n;
    n.id = node_id::from(byte_span{s->data() + at, node_id::size()});
    n.address = load_compact_peer(s->data() + at + node_id::size());
    out.nodes.push_back(n);
  }
  return {};
}

error decode_values(const fields& r, const limits& lim, response& out) {
  const raw_value* v = r.find(known::values);
  if (!v)
    return {};
  if (v->kind != 'l')
    return r.bad(known::values, "not a list");
  // One walk: the count is checked before the items, as decode_tree does. A compact peer
  // takes 8 bytes ("6:" and its 6), so this is room enough for a valid list.
  out.values.reserve(std::min(lim.values_max, v->whole.size() / (compact_peer_size + 2)));
  size_t count = 0;
  bool all_peers = true;
  for_each_item(*v, [&](const raw_value& item) {
    ++count;
    all_peers = all_peers && item.kind == 's' && item.text.size() == compact_peer_size;
    if (all_peers && count <= lim.values_max)
      out.values.push_back(load_compact_peer(item.text.data()));
    return true;
  });
  if (count > lim.values_max)
    return r.bad(known::values, std::to_string(count) + " peers, over values_max "
                             + std::to_string(lim.values_max));
  if (!all_peers)
    return r.bad(known::values, "an item that is not a 6-byte compact peer");
  return {};
}

error decode_response(const datagram_fields& d, const limits& lim, message& m) {
  const fields& top = d.top;
  const raw_value* values = top.sub_dictionary(known::r);
  if (!values)
    return top.find(known::r) ? top.bad(known::r, "not a dictionary") : top.missing(known::r);
  const fields& r = d.r;
  response out;
  const byte_span* token = nullptr;
  bool has_k = false;
  bool has_sig = false;
  if (error err = r.fixed(known::id, true, m.sender))
    return err;
  if (error err = decode_nodes(r, lim, out))
    return err;
  if (error err = decode_values(r, lim, out))
    return err;
  if (error err = r.string(known::token, 0, lim.token_size_max, false, token))
    return err;
  if (error err = r.raw(known::v, false, out.v))
    return err;
  if (error err = r.fixed(known::k, false, out.k.emplace(), &has_k))
    return err;
  if (error err = r.optional_integer(known::seq, out.seq))
    return err;
  if (error err = r.fixed(known::sig, false, out.sig.emplace(), &has_sig))
    return err;
  if (token)
    out.token = token->to_bytes();
  if (!has_k)
    out.k.reset();
  if (!has_sig)
    out.sig.reset();
  m.content = std::move(out);
  return {};
}

error decode_error(const fields& top, const limits& lim, message& m) {
  const raw_value* e = top.find(known::e);
  if (!e)
    return top.missing(known::e);
  std::array<raw_value, 2> items;
  size_t count = 0;
  if (e->kind == 'l')
    for_each_item(*e, [&](const raw_value& item) {
      if (count < items.size())
        items[count] = item;
      return ++count <= items.size();
    });
  if (count != 2 || items[0].kind != 'i' || items[1].kind != 's')
    return top.bad(known::e, "not a list of an integer and a string");
  byte_span text = items[1].text;
  if (text.size() > lim.error_message_size_max)
    return top.bad(known::e, "a message of " + std::to_string(text.size())
                          + " bytes, over error_message_size_max");
  m.content = error_reply{items[0].number, std::string(text.begin(), text.end())};
  return {};
}

} // namespace

void put_compact(bytes& out, const endpoint& e) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(e.ip >> shift));
  out.push_back(static_cast<uint8_t>(e.port >> 8));
  out.push_back(static_cast<uint8_t>(e.port));
}

endpoint load_compact_peer(const uint8_t* in) noexcept {
  return endpoint{load_u32be(in), static_cast<uint16_t>(in[4] << 8 | in[5])};
}

expected<message> decode(byte_span datagram, const limits& lim) {
  if (datagram.size() > lim.datagram_size_max)
    return error{krpc_errc::limit_exceeded,
                 "a datagram of " + std::to_string(datagram.size())
                   + " bytes, over datagram_size_max " + std::to_string(lim.datagram_size_max)};
  datagram_fields d;
  if (status checked = bencode::check(datagram, lim.bencode, d); !checked)
    return std::move(checked).error();
  if (datagram[0] != 'd')
    return error{krpc_errc::bad_value, "the datagram is not a dictionary"};
  const fields& top = d.top;
  message m;
  if (error err = decode_top(top, lim, m))
    return err;
  const byte_span* y = nullptr;
  if (error err = top.string(known::y, 1, 1, true, y))
    return err;
  error err;
  switch ((*y)[0]) {
    case 'q':
      err = decode_query(d, lim, m);
      break;
    case 'r':
      err = decode_response(d, lim, m);
      break;
    case 'e':
      err = decode_error(top, lim, m);
      break;
    default:
      err = top.bad(known::y, "not q, r or e");
  }
  if (err)
    return err;
  return m;
}

} // namespace dynfeed::krpc
