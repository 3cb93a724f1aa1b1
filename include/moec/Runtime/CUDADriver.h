//===- CUDADriver.h - the CUDA driver API, loaded at run time --*- C++ -*-===//
//
// moec's GPU runtime calls the CUDA driver API (libcuda) directly, with no
// CUDA library at link time: the driver is dlopen'ed on first use, so the
// runtime and the tools start on machines without a GPU or a driver and say
// so in a message instead of failing to load. The few driver types and
// entry points used are declared here, by their ABI, without cuda.h.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_CUDADRIVER_H
#define MOEC_RUNTIME_CUDADRIVER_H

#include "moec/Support/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace moec {

/// One CUDA device as the driver describes it.
struct CUDADeviceInfo {
  int ordinal = 0;
  std::string name;
  /// Compute capability, e.g. 9.0 for sm_90.
  int major = 0, minor = 0;
  int multiprocessors = 0;
  size_t memoryBytes = 0;
  /// "sm_90": the target whose cubins run on the device.
  std::string smName() const;
};

/// The process's CUDA driver, loaded and initialised once.
class CUDADriver {
public:
  /// The driver, or an error saying why there is none: libcuda.so.1 cannot
  /// be loaded (no driver installed), lacks an entry point, or cuInit fails
  /// (e.g. no CUDA-capable device).
  static StatusOr<const CUDADriver *> get();

  /// The driver's CUDA version, e.g. 13000 for 13.0.
  int version() const { return driverVersion; }
  int deviceCount() const { return devices; }
  StatusOr<CUDADeviceInfo> device(int ordinal) const;

  /// "CUDA_ERROR_NAME (description)" for a driver result code.
  std::string describe(int result) const;

  /// The driver's entry points (lib/Runtime/CUDADriverAPI.h).
  struct EntryPoints;
  const EntryPoints &entryPoints() const { return *api; }

private:
  CUDADriver() = default;
  static StatusOr<const CUDADriver *> load();
  const EntryPoints *api = nullptr;
  int driverVersion = 0, devices = 0;
};

} // namespace moec

#endif // MOEC_RUNTIME_CUDADRIVER_H
