// The reference decoder: the whole datagram as a bencode tree first, then the message. decode()
// reads the same datagrams without the tree; tests/krpc check both agree, errors included.

#include "dynfeed/krpc/codec.hpp"

#include "dynfeed/krpc/errc.hpp"

#include <limits>
#include <string>

namespace dynfeed::krpc {

namespace {

using bencode::dictionary;

constexpr int64_t int64_min = std::numeric_limits<int64_t>::min();
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();

/// Reads the known keys of one dictionary (the top level, `a` or `r`); errors name the key as
/// "a.port", "r.nodes", "t".
class fields {
public:
  fields(const dictionary& d, std::string prefix) : d_(d), prefix_(std::move(prefix)) {}

  const bencode::value* find(std::string_view key) const { return bencode::find(d_, key); }

  error missing(std::string_view key) const {
    return error{krpc_errc::missing_key, name(key) + " is missing"};
  }
  error bad(std::string_view key, const std::string& reason) const {
    return error{krpc_errc::bad_value, name(key) + ": " + reason};
  }

  /// A string of `size_min` to `size_max` bytes; `out` stays null when the key is absent
  /// (an error if `required`).
  error string(std::string_view key, size_t size_min, size_t size_max, bool required,
               const bytes*& out) const {
    out = nullptr;
    const bencode::value* v = find(key);
    if (!v)
      return required ? missing(key) : error{};
    out = v->as_string();
    if (!out)
      return bad(key, "not a string");
    if (out->size() < size_min || out->size() > size_max) {
      std::string expected = size_min == size_max
                               ? std::to_string(size_min)
                               : std::to_string(size_min) + " to " + std::to_string(size_max);
      return bad(key, std::to_string(out->size()) + " bytes, not " + expected);
    }
    return {};
  }

  template <class Fixed>
  error fixed(std::string_view key, bool required, Fixed& out, bool* present = nullptr) const {
    const bytes* s = nullptr;
    if (error err = string(key, Fixed::size(), Fixed::size(), required, s))
      return err;
    if (s)
      out = Fixed::from(*s);
    if (present)
      *present = s != nullptr;
    return {};
  }

  /// An integer in [min, max]; `out` stays null when the key is absent.
  error integer(std::string_view key, int64_t min, int64_t max, bool required,
                const int64_t*& out) const {
    out = nullptr;
    const bencode::value* v = find(key);
    if (!v)
      return required ? missing(key) : error{};
    out = v->as_integer();
    if (!out)
      return bad(key, "not an integer");
    if (*out < min || *out > max)
      return bad(key, std::to_string(*out) + " is not in [" + std::to_string(min) + ", "
                        + std::to_string(max) + "]");
    return {};
  }

  error optional_integer(std::string_view key, std::optional<int64_t>& out) const {
    const int64_t* i = nullptr;
    if (error err = integer(key, int64_min, int64_max, false, i))
      return err;
    if (i)
      out = *i;
    return {};
  }

  error flag(std::string_view key, bool& out) const {
    const int64_t* i = nullptr;
    if (error err = integer(key, 0, 1, false, i))
      return err;
    out = i && *i == 1;
    return {};
  }

  /// Any bencoded value, as its wire bytes (canonical, so encoding it again gives them).
  error raw(std::string_view key, bool required, std::optional<bytes>& out) const {
    const bencode::value* v = find(key);
    if (!v)
      return required ? missing(key) : error{};
    out = bencode::encode(*v);
    return {};
  }

  const dictionary* sub_dictionary(std::string_view key) const {
    const bencode::value* v = find(key);
    return v ? v->as_dictionary() : nullptr;
  }

private:
  std::string name(std::string_view key) const {
    return prefix_.empty() ? std::string{key} : prefix_ + "." + std::string{key};
  }

  const dictionary& d_;
  std::string prefix_;
};

error decode_top(const fields& f, const limits& lim, message& m) {
  const bytes* s = nullptr;
  if (error err = f.string("t", 0, lim.transaction_size_max, true, s))
    return err;
  m.transaction = *s;
  if (error err = f.string("v", 0, lim.version_size_max, false, s))
    return err;
  if (s)
    m.version = *s;
  if (error err = f.string("ip", compact_peer_size, compact_peer_size, false, s))
    return err;
  if (s)
    m.ip = load_compact_peer(s->data());
  return f.flag("ro", m.read_only);
}

error decode_announce(const fields& a, const limits& lim, query& out) {
  announce_peer q;
  const int64_t* port = nullptr;
  const bytes* token = nullptr;
  if (error err = a.fixed("info_hash", true, q.info_hash))
    return err;
  if (error err = a.integer("port", 0, 65535, true, port))
    return err;
  if (error err = a.flag("implied_port", q.implied_port))
    return err;
  if (error err = a.string("token", 0, lim.token_size_max, true, token))
    return err;
  q.port = static_cast<uint16_t>(*port);
  q.token = *token;
  out = std::move(q);
  return {};
}

error decode_put(const fields& a, const limits& lim, query& out) {
  put q;
  const bytes* token = nullptr;
  std::optional<bytes> v;
  if (error err = a.string("token", 0, lim.token_size_max, true, token))
    return err;
  if (error err = a.raw("v", true, v))
    return err;
  q.token = *token;
  if (!a.find("k")) {
    for (const char* key : {"sig", "seq", "salt", "cas"})
      if (a.find(key))
        return a.bad(key, "present in a put without k (an immutable put has v only)");
    q.item = immutable_put{std::move(*v)};
    out = std::move(q);
    return {};
  }
  mutable_put item;
  const int64_t* seq = nullptr;
  const bytes* salt = nullptr;
  if (error err = a.fixed("k", true, item.k))
    return err;
  if (error err = a.fixed("sig", true, item.sig))
    return err;
  if (error err = a.integer("seq", int64_min, int64_max, true, seq))
    return err;
  if (error err = a.string("salt", 0, lim.bencode.string_size_max, false, salt))
    return err;
  if (error err = a.optional_integer("cas", item.cas))
    return err;
  item.seq = *seq;
  if (salt)
    item.salt = *salt;
  item.v = std::move(*v);
  q.item = std::move(item);
  out = std::move(q);
  return {};
}

error decode_arguments(const std::string& method, const fields& a, const limits& lim,
                       query& out) {
  if (method == "ping") {
    out = ping{};
  } else if (method == "find_node") {
    find_node q;
    if (error err = a.fixed("target", true, q.target))
      return err;
    out = q;
  } else if (method == "get_peers") {
    get_peers q;
    if (error err = a.fixed("info_hash", true, q.info_hash))
      return err;
    out = q;
  } else if (method == "announce_peer") {
    return decode_announce(a, lim, out);
  } else if (method == "get") {
    get q;
    if (error err = a.fixed("target", true, q.target))
      return err;
    if (error err = a.optional_integer("seq", q.seq))
      return err;
    out = q;
  } else if (method == "put") {
    return decode_put(a, lim, out);
  } else {
    out = unknown_query{method};
  }
  return {};
}

error decode_query(const fields& top, const limits& lim, message& m) {
  const bytes* method = nullptr;
  if (error err = top.string("q", 0, lim.method_size_max, true, method))
    return err;
  const dictionary* args = top.sub_dictionary("a");
  if (!args)
    return top.find("a") ? top.bad("a", "not a dictionary") : top.missing("a");
  fields a{*args, "a"};
  if (error err = a.fixed("id", true, m.sender))
    return err;
  query q;
  if (error err = decode_arguments(std::string(method->begin(), method->end()), a, lim, q))
    return err;
  m.content = std::move(q);
  return {};
}

error decode_nodes(const fields& r, const limits& lim, response& out) {
  const bytes* s = nullptr;
  if (error err = r.string("nodes", 0, lim.nodes_max * compact_node_size, false, s))
    return err;
  if (!s)
    return {};
  if (s->size() % compact_node_size != 0)
    return r.bad("nodes", std::to_string(s->size()) + " bytes, not a multiple of 26");
  for (size_t at = 0; at < s->size(); at += compact_node_size) {
    node_info n;
    n.id = node_id::from(byte_span{s->data() + at, node_id::size()});
    n.address = load_compact_peer(s->data() + at + node_id::size());
    out.nodes.push_back(n);
  }
  return {};
}

error decode_values(const fields& r, const limits& lim, response& out) {
  const bencode::value* v = r.find("values");
  if (!v)
    return {};
  const bencode::list* l = v->as_list();
  if (!l)
    return r.bad("values", "not a list");
  if (l->size() > lim.values_max)
    return r.bad("values", std::to_string(l->size()) + " peers, over values_max "
                             + std::to_string(lim.values_max));
  for (const bencode::value& item : *l) {
    const bytes* peer = item.as_string();
    if (!peer || peer->size() != compact_peer_size)
      return r.bad("values", "an item that is not a 6-byte compact peer");
    out.values.push_back(load_compact_peer(peer->data()));
  }
  return {};
}

error decode_response(const fields& top, const limits& lim, message& m) {
  const dictionary* values = top.sub_dictionary("r");
  if (!values)
    return top.find("r") ? top.bad("r", "not a dictionary") : top.missing("r");
  fields r{*values, "r"};
  response out;
  const bytes* token = nullptr;
  bool has_k = false;
  bool has_sig = false;
  if (error err = r.fixed("id", true, m.sender))
    return err;
  if (error err = decode_nodes(r, lim, out))
    return err;
  if (error err = decode_values(r, lim, out))
    return err;
  if (error err = r.string("token", 0, lim.token_size_max, false, token))
    return err;
  if (error err = r.raw("v", false, out.v))
    return err;
  if (error err = r.fixed("k", false, out.k.emplace(), &has_k))
    return err;
  if (error err = r.optional_integer("seq", out.seq))
    return err;
  if (error err = r.fixed("sig", false, out.sig.emplace(), &has_sig))
    return err;
  if (token)
    out.token = *token;
  if (!has_k)
    out.k.reset();
  if (!has_sig)
    out.sig.reset();
  m.content = std::move(out);
  return {};
}

error decode_error(const fields& top, const limits& lim, message& m) {
  const bencode::value* e = top.find("e");
  if (!e)
    return top.missing("e");
  const bencode::list* l = e->as_list();
  if (!l || l->size() != 2 || !(*l)[0].as_integer() || !(*l)[1].as_string())
    return top.bad("e", "not a list of an integer and a string");
  const bytes& text = *(*l)[1].as_string();
  if (text.size() > lim.error_message_size_max)
    return top.bad("e", "a message of " + std::to_string(text.size())
                          + " bytes, over error_message_size_max");
  m.content = error_reply{*(*l)[0].as_integer(), std::string(text.begin(), text.end())};
  return {};
}

} // namespace

expected<message> decode_tree(byte_span datagram, const limits& lim) {
  if (datagram.size() > lim.datagram_size_max)
    return error{krpc_errc::limit_exceeded,
                 "a datagram of " + std::to_string(datagram.size())
                   + " bytes, over datagram_size_max " + std::to_string(lim.datagram_size_max)};
  auto decoded = bencode::decode(datagram, lim.bencode);
  if (!decoded)
    return std::move(decoded).error();
  const dictionary* d = decoded->as_dictionary();
  if (!d)
    return error{krpc_errc::bad_value, "the datagram is not a dictionary"};
  fields top{*d, ""};
  message m;
  if (error err = decode_top(top, lim, m))
    return err;
  const bytes* y = nullptr;
  if (error err = top.string("y", 1, 1, true, y))
    return err;
  error err;
  switch ((*y)[0]) {
    case 'q':
      err = decode_query(top, lim, m);
      break;
    case 'r':
      err = decode_response(top, lim, m);
      break;
    case 'e':
      err = decode_error(top, lim, m);
      break;
    default:
      err = top.bad("y", "not q, r or e");
  }
  if (err)
    return err;
  return m;
}

} // namespace dynfeed::krpc
