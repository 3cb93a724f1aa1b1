//===- CAPISupport.h - what the C API's translation units share -*- C++ -*-===//
//
// The status object behind moec_status_t, and how the C API makes one.
// (moec is built without exceptions: large buffers are allocated with
// nothrow and their failure is a status.)
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_RUNTIME_CAPISUPPORT_H
#define MOEC_LIB_RUNTIME_CAPISUPPORT_H

#include "moec/Support/Status.h"
#include "moec/runtime.h"

#include <new>
#include <string>

struct moec_status {
  std::string message;
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

} // namespace moec::capi

#endif // MOEC_LIB_RUNTIME_CAPISUPPORT_H
