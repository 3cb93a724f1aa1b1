//===- Status.h - Success or an error, without exceptions -------*- C++ -*-===//
//
// The runtime's loaders must not link LLVM (so no llvm::Expected) and are
// built without exceptions, so failures travel as values: a Status is ok or
// carries a message written for the user; a StatusOr<T> is a T or a failed
// Status. The C API turns both into its own status + message.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_STATUS_H
#define MOEC_SUPPORT_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace moec {

/// Success, or failure with a message that says what is wrong and where.
class [[nodiscard]] Status {
public:
  /// A successful status.
  Status() = default;
  /// A failed status carrying `message`.
  static Status error(std::string message) {
    Status s;
    s.failed = true;
    s.msg = std::move(message);
    return s;
  }

  bool ok() const { return !failed; }
  /// The error message; empty when ok().
  const std::string &message() const { return msg; }

private:
  bool failed = false;
  std::string msg;
};

/// Either a value of type T or a failed Status. Accessing the value of a
/// failed StatusOr is a programming error (checked by assert).
template <typename T> class [[nodiscard]] StatusOr {
public:
  /// Holds `value`. (Two overloads rather than one by value, so that
  /// `return local;` moves a move-only local under C++17's rules.)
  StatusOr(const T &value) : val(value) {}
  StatusOr(T &&value) : val(std::move(value)) {}
  /// Holds a failure; `status` must not be ok, since there is no value.
  StatusOr(Status status) : st(std::move(status)) {
    assert(!st.ok() && "StatusOr built from an ok Status has no value");
    // Without assertions, keep "not ok() implies a failed status()".
    if (st.ok())
      st = Status::error("internal error: StatusOr without a value");
  }

  bool ok() const { return val.has_value(); }
  /// The failure, or an ok Status when a value is held.
  const Status &status() const { return st; }

  T &value() & {
    assert(ok() && "value() of a failed StatusOr");
    return *val;
  }
  const T &value() const & {
    assert(ok() && "value() of a failed StatusOr");
    return *val;
  }
  T &&value() && {
    assert(ok() && "value() of a failed StatusOr");
    return std::move(*val);
  }

  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

private:
  std::optional<T> val;
  Status st;
};

} // namespace moec

#endif // MOEC_SUPPORT_STATUS_H
