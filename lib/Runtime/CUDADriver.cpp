//===- CUDADriver.cpp - the CUDA driver API, loaded at run time -----------===//
#include "moec/Runtime/CUDADriver.h"

#include "CUDADriverAPI.h"

#include <dlfcn.h>

using namespace moec;

namespace {

// CUdevice_attribute values (cuda.h).
constexpr int kMultiprocessorCount = 16;
constexpr int kComputeCapabilityMajor = 75;
constexpr int kComputeCapabilityMinor = 76;

constexpr const char *kLibrary = "libcuda.so.1";

/// Results a driver that cannot describe itself (a stub library, a driver
/// too old) may return, as cuda.h names them.
const char *knownResult(int result) {
  switch (result) {
  case 2:
    return "CUDA_ERROR_OUT_OF_MEMORY";
  case 3:
    return "CUDA_ERROR_NOT_INITIALIZED";
  case 34:
    return "CUDA_ERROR_STUB_LIBRARY (libcuda.so.1 is the toolkit's stub, "
           "not a driver)";
  case 35:
    return "CUDA_ERROR_INSUFFICIENT_DRIVER (the driver is older than the "
           "CUDA runtime)";
  case 100:
    return "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)";
  case 209:
    return "CUDA_ERROR_NO_BINARY_FOR_GPU";
  case 218:
    return "CUDA_ERROR_INVALID_PTX";
  case 222:
    return "CUDA_ERROR_UNSUPPORTED_PTX_VERSION";
  default:
    return nullptr;
  }
}

/// Resolves `symbol` of the driver into `slot`; false if it is missing.
template <typename F> bool resolve(void *library, const char *symbol, F &slot) {
  slot = reinterpret_cast<F>(dlsym(library, symbol));
  return slot != nullptr;
}

} // namespace

std::string CUDADeviceInfo::smName() const {
  return "sm_" + std::to_string(major) + std::to_string(minor);
}

StatusOr<const CUDADriver *> CUDADriver::get() {
  // Loaded once; the outcome, driver or error, is the process's for good.
  static const StatusOr<const CUDADriver *> driver = load();
  return driver;
}

std::string CUDADriver::describe(int result) const {
  const char *name = nullptr, *text = nullptr;
  if (api->getErrorName(result, &name) != 0 || !name) {
    const char *known = knownResult(result);
    return known ? known : "CUDA error " + std::to_string(result);
  }
  if (api->getErrorString(result, &text) != 0 || !text)
    return name;
  return std::string(name) + " (" + text + ")";
}

StatusOr<CUDADeviceInfo> CUDADriver::device(int ordinal) const {
  if (ordinal < 0 || ordinal >= devices)
    return Status::error("CUDA device " + std::to_string(ordinal) +
                         " does not exist: the driver sees " +
                         std::to_string(devices) + " device(s)");
  CUDADeviceInfo info;
  info.ordinal = ordinal;
  int handle = 0;
  char name[256] = {};
  auto check = [&](int result, const char *what) {
    return result == 0
               ? Status()
               : Status::error("CUDA device " + std::to_string(ordinal) + ": " +
                               what + " failed: " + describe(result));
  };
  if (Status s = check(api->deviceGet(&handle, ordinal), "cuDeviceGet");
      !s.ok())
    return s;
  if (Status s = check(api->deviceGetName(name, sizeof name - 1, handle),
                       "cuDeviceGetName");
      !s.ok())
    return s;
  info.name = name;
  if (Status s = check(
          api->deviceGetAttribute(&info.major, kComputeCapabilityMajor, handle),
          "cuDeviceGetAttribute");
      !s.ok())
    return s;
  if (Status s = check(
          api->deviceGetAttribute(&info.minor, kComputeCapabilityMinor, handle),
          "cuDeviceGetAttribute");
      !s.ok())
    return s;
  if (Status s = check(api->deviceGetAttribute(&info.multiprocessors,
                                               kMultiprocessorCount, handle),
                       "cuDeviceGetAttribute");
      !s.ok())
    return s;
  if (Status s = check(api->deviceTotalMem(&info.memoryBytes, handle),
                       "cuDeviceTotalMem");
      !s.ok())
    return s;
  return info;
}

StatusOr<const CUDADriver *> CUDADriver::load() {
  void *library = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return Status::error(std::string("no CUDA driver: ") + kLibrary +
                         " cannot be loaded (" + dlerror() +
                         "); install the NVIDIA driver to run on a GPU");
  static EntryPoints api;
  const char *missing = nullptr;
  auto need = [&](const char *symbol, auto &slot) {
    if (!missing && !resolve(library, symbol, slot))
      missing = symbol;
  };
  need("cuInit", api.init);
  need("cuDriverGetVersion", api.driverGetVersion);
  need("cuDeviceGetCount", api.deviceGetCount);
  need("cuDeviceGet", api.deviceGet);
  need("cuDeviceGetName", api.deviceGetName);
  need("cuDeviceGetAttribute", api.deviceGetAttribute);
  need("cuDeviceTotalMem_v2", api.deviceTotalMem);
  need("cuGetErrorName", api.getErrorName);
  need("cuGetErrorString", api.getErrorString);
  need("cuDevicePrimaryCtxRetain", api.primaryCtxRetain);
  need("cuCtxSetCurrent", api.ctxSetCurrent);
  need("cuModuleLoadData", api.moduleLoadData);
  need("cuModuleUnload", api.moduleUnload);
  need("cuModuleGetFunction", api.moduleGetFunction);
  need("cuLaunchKernel", api.launchKernel);
  need("cuStreamCreate", api.streamCreate);
  need("cuStreamSynchronize", api.streamSynchronize);
  need("cuStreamDestroy_v2", api.streamDestroy);
  need("cuEventCreate", api.eventCreate);
  need("cuEventDestroy_v2", api.eventDestroy);
  need("cuEventRecord", api.eventRecord);
  need("cuEventSynchronize", api.eventSynchronize);
  need("cuStreamWaitEvent", api.streamWaitEvent);
  need("cuMemAlloc_v2", api.memAlloc);
  need("cuMemAllocManaged", api.memAllocManaged);
  need("cuMemFree_v2", api.memFree);
  need("cuMemcpy", api.memcpy);
  need("cuMemcpyAsync", api.memcpyAsync);
  need("cuMemsetD32Async", api.memsetD32Async);
  need("cuMemsetD16Async", api.memsetD16Async);
  // Optional: without them buffers are allocated synchronously.
  resolve(library, "cuMemAllocAsync", api.memAllocAsync);
  resolve(library, "cuMemFreeAsync", api.memFreeAsync);
  resolve(library, "cuDeviceGetDefaultMemPool", api.deviceGetDefaultMemPool);
  resolve(library, "cuMemPoolSetAttribute", api.memPoolSetAttribute);
  if (missing)
    return Status::error(std::string("the CUDA driver ") + kLibrary +
                         " has no " + missing +
                         ": it is older than moec needs");

  // The driver lives as long as the process; the library stays loaded.
  static CUDADriver driver;
  driver.api = &api;
  if (int r = api.init(0); r != 0)
    return Status::error("the CUDA driver cannot start: cuInit failed: " +
                         driver.describe(r));
  if (int r = api.driverGetVersion(&driver.driverVersion); r != 0)
    return Status::error("cuDriverGetVersion failed: " + driver.describe(r));
  if (int r = api.deviceGetCount(&driver.devices); r != 0)
    return Status::error("cuDeviceGetCount failed: " + driver.describe(r));
  if (driver.devices == 0)
    return Status::error("the CUDA driver sees no device");
  return static_cast<const CUDADriver *>(&driver);
}
