#pragma once
// result<T>: a value or a pg::error. C++20 has no std::expected; this is the
// small subset slotd needs. Expected failures (SQL errors, timeouts, lost
// connections) travel as values; only misuse (value() on an error) throws.
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

#include "pg/client/error.hpp"

namespace slotd::pg {

struct bad_result_access : std::logic_error {
  explicit bad_result_access(const pg::error& e) : std::logic_error("result holds an error: " + e.what()) {}
};

template <class T>
class result {
public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(pg::error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !ok().
  const pg::error& error() const { return std::get<1>(v_); }

private:
  void check() const {
    if (v_.index() != 0)
      throw bad_result_access(std::get<1>(v_));
  }
  std::variant<T, pg::error> v_;
};

template <>
class result<void> {
public:
  result() = default;
  result(pg::error e) : e_(std::move(e)) {}
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const {
    if (e_)
      throw bad_result_access(*e_);
  }
  const pg::error& error() const { return *e_; }

private:
  std::optional<pg::error> e_;
};

} // namespace slotd::pg
