#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace dynfeed {

/// Identifies an area's error codes. Each area (base, crypto, feed, store, ...) declares one
/// `enum class *_errc : uint8_t` and a `category_of(enum)` function found by ADL that returns
/// its category. The actor layer maps categories onto CAF error categories.
struct error_category {
  const char* name;
  const char* (*describe)(uint8_t code) noexcept;
};

/// Bad input is a value: a category, a code and a human-readable context.
/// A default-constructed error means "no error".
class error {
public:
  error() noexcept = default;

  template <class Enum, class = std::enable_if_t<std::is_enum_v<Enum>>>
  error(Enum code, std::string context = {})
    : category_(&category_of(code)), code_(static_cast<uint8_t>(code)),
      context_(std::move(context)) {}

  explicit operator bool() const noexcept { return category_ != nullptr; }

  uint8_t code() const noexcept { return code_; }
  std::string_view category() const noexcept { return category_ ? category_->name : ""; }
  std::string_view description() const noexcept {
    return category_ ? category_->describe(code_) : "no error";
  }
  const std::string& context() const noexcept { return context_; }

  template <class Enum>
  bool is(Enum code) const noexcept {
    return category_ == &category_of(code) && code_ == static_cast<uint8_t>(code);
  }

  /// "category: description: context" (context omitted when empty).
  std::string to_string() const;

private:
  const error_category* category_ = nullptr;
  uint8_t code_ = 0;
  std::string context_;
};

/// Errors that belong to no particular area.
enum class base_errc : uint8_t {
  invalid_argument = 1, ///< malformed input such as bad hex or an out-of-range number
  io_error,             ///< the operating system refused a file operation
  unsupported,          ///< a feature or version this build does not support
};
const error_category& category_of(base_errc) noexcept;

} // namespace dynfeed
