#pragma once

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/error.hpp"

#include <type_traits>
#include <utility>
#include <variant>

namespace dynfeed {

/// A value or the error that prevented it (like caf::expected, without CAF, so that the pure
/// layers stay free of it). Reading the value of an error is a caller bug.
template <class T>
class [[nodiscard]] expected {
public:
  expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&>
                                              && !std::is_same_v<std::decay_t<U>, expected>
                                              && !std::is_same_v<std::decay_t<U>, dynfeed::error>
                                              && !std::is_enum_v<std::decay_t<U>>>>
  expected(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}
  expected(dynfeed::error err) : v_(std::in_place_index<1>, std::move(err)) {
    DYNFEED_REQUIRE(static_cast<bool>(std::get<1>(v_)));
  }

  explicit operator bool() const noexcept { return v_.index() == 0; }
  bool has_value() const noexcept { return v_.index() == 0; }

  T& value() & {
    DYNFEED_REQUIRE(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    DYNFEED_REQUIRE(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    DYNFEED_REQUIRE(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const dynfeed::error& error() const& {
    DYNFEED_REQUIRE(!has_value());
    return std::get<1>(v_);
  }
  dynfeed::error&& error() && {
    DYNFEED_REQUIRE(!has_value());
    return std::get<1>(std::move(v_));
  }

private:
  std::variant<T, dynfeed::error> v_;
};

/// Success or an error.
template <>
class [[nodiscard]] expected<void> {
public:
  expected() noexcept = default;
  expected(dynfeed::error err) : err_(std::move(err)) {}

  explicit operator bool() const noexcept { return !err_; }
  bool has_value() const noexcept { return !err_; }
  const dynfeed::error& error() const& { return err_; }
  dynfeed::error&& error() && { return std::move(err_); }

private:
  dynfeed::error err_;
};

using status = expected<void>;

} // namespace dynfeed
