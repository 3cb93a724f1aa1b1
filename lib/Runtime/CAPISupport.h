//===- CAPISupport.h - what the C API's translation units share -*- C++ -*-===//
//
// The status object behind moec_status_t, how the C API makes one, the
// checks of its arguments, and the session object.
// (moec is built without exceptions: large buffers are allocated with
// nothrow and their failure is a status.)
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_RUNTIME_CAPISUPPORT_H
#define MOEC_LIB_RUNTIME_CAPISUPPORT_H

#include "moec/Runtime/Model.h"
#include "moec/Support/Status.h"
#include "moec/runtime.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct moec_status {
  std::string message;
};

/// One sequence on a compiled model (CAPIModel.cpp), also driven by
/// generation (CAPIGenerate.cpp).
struct moec_session {
  std::unique_ptr<moec::Session> session;
  const moec::LoadedModel *model;
};

namespace moec::capi {

/// The status of an error whose own status could not be allocated;
/// moec_status_free leaves it alone.
extern moec_status outOfMemory;

inline moec_status_t fail(std::string message) {
  moec_status_t status = new (std::nothrow) moec_status{std::move(message)};
  return status ? status : &outOfMemory;
}

inline moec_status_t fail(const Status &status) {
  return status.ok() ? nullptr : fail(status.message());
}

/// Checks the `size` field of a versioned options struct against this
/// header's `ours`: smaller is a struct not filled by `init` (the function
/// that fills it); larger is one of a later version, with fields this
/// library ignores.
inline Status checkOptionsSize(size_t size, size_t ours, const char *function,
                               const char *init) {
  if (size >= ours && size <= (size_t(1) << 16))
    return Status();
  return Status::error(std::string(function) + ": options->size is " +
                       std::to_string(size) + "; fill the options with " +
                       init);
}

/// `what` of `function` must not be NULL.
inline moec_status_t requireNonNull(const void *pointer, const char *function,
                                    const char *what) {
  if (pointer)
    return nullptr;
  return fail(std::string(function) + ": " + what + " must not be NULL");
}

/// The ids [count] of a C caller, checked for a plausible count.
inline StatusOr<std::vector<int32_t>> idsOf(const int32_t *ids, int64_t count,
                                            const char *function) {
  if (count < 1)
    return Status::error(std::string(function) +
                         ": needs at least one id, got a count of " +
                         std::to_string(count));
  if (!ids)
    return Status::error(std::string(function) + ": ids must not be NULL");
  if (static_cast<uint64_t>(count) >
      std::numeric_limits<size_t>::max() / sizeof(int32_t))
    return Status::error(std::string(function) + ": a count of " +
                         std::to_string(count) + " ids cannot be held");
  return std::vector<int32_t>(ids, ids + count);
}

} // namespace moec::capi

#endif // MOEC_LIB_RUNTIME_CAPISUPPORT_H
