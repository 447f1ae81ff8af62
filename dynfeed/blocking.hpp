#pragma once

/// Asking an actor from code that is not an actor (main, a thread of your own) and waiting for
/// its answer, with CAF's own scoped_actor and request.
///
///     auto length = dynfeed::ask<uint64_t>(sys, feed, std::chrono::seconds{5},
///                                          dynfeed::atoms::append::value, blocks);
///     if (!length) std::cerr << sys.render(length.error());
///
/// It blocks the calling thread: never call it from inside an actor (use request there).

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

#include <tuple>
#include <utility>

namespace dynfeed {

namespace detail {

/// How a reply of type T is received: one value, or several as a std::tuple.
template <class T>
struct reply_of {
  static auto handler(caf::expected<T>& out) {
    return [&out](T& value) { out = std::move(value); };
  }
};

template <class... Ts>
struct reply_of<std::tuple<Ts...>> {
  static auto handler(caf::expected<std::tuple<Ts...>>& out) {
    return [&out](Ts&... values) { out = std::make_tuple(std::move(values)...); };
  }
};

} // namespace detail

/// Sends (xs...) to `to` as a request from `self` and waits up to `timeout` for the answer:
/// a T (std::tuple<A, B> for a reply of two values), or the error the actor answered with
/// (caf::sec::request_timeout if none came in time).
template <class T, class Handle, class Duration, class... Ts>
caf::expected<T> ask(caf::scoped_actor& self, const Handle& to, const Duration& timeout,
                     Ts&&... xs) {
  caf::expected<T> out{caf::sec::request_timeout};
  self->request(to, timeout, std::forward<Ts>(xs)...)
    .receive(detail::reply_of<T>::handler(out), [&out](caf::error& err) { out = std::move(err); });
  return out;
}

/// The same from a scoped actor of its own, for one question.
template <class T, class Handle, class Duration, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const Handle& to, const Duration& timeout,
                     Ts&&... xs) {
  caf::scoped_actor self{sys};
  return ask<T>(self, to, timeout, std::forward<Ts>(xs)...);
}

} // namespace dynfeed
