//===- GPURuntime.h - running compiled kernels on a CUDA GPU ---*- C++ -*-===//
//
// Code that moe-gpu-pipeline compiles calls the mgpu* functions of MLIR's GPU
// runtime ABI (mgpuModuleLoad, mgpuLaunchKernel, mgpuMemAlloc, ...). moec's
// runtime defines them on the CUDA driver (CUDADriver.h), so a compiled GPU
// module needs neither MLIR's CUDA runtime wrappers nor libcudart. The
// functions cannot return errors to the generated code; they record the
// first one on the calling thread, and later calls do nothing until the
// runtime takes it (takeGPUError) after loading a module or after a call.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_GPURUNTIME_H
#define MOEC_RUNTIME_GPURUNTIME_H

#include "moec/Support/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace moec {

/// The device the mgpu* functions use: device 0's primary context, made
/// current on the calling thread. An error if there is no driver or device.
Status useGPU();

/// An error unless kernels compiled for `arch` (sm_XY, or sm_XYa) run on
/// GPU 0: the same major version, and a minor at least XY's (exactly, for
/// the architecture-specific `a` targets). The message says which --gpu-arch
/// fits.
Status checkGPUArch(const std::string &arch);

/// The first error the mgpu* functions met on this thread since the last
/// call (cleared), or OK.
Status takeGPUError();

/// While one lives on a thread, the compiled functions that thread calls
/// run their kernels on one stream and do not each wait for them: the host
/// queues a whole model step while the GPU runs what came before, and
/// waits once, in finish(). A DeviceBuffer's download or release waits
/// first, since queued kernels may still use its memory. Where buffers are
/// not allocated in stream order (MOEC_GPU_ALLOCATOR=sync, or a driver
/// without memory pools), each function still waits for its own kernels,
/// as its synchronous frees would otherwise release memory they use. Not
/// nested.
class GPUQueue {
public:
  GPUQueue();
  GPUQueue(const GPUQueue &) = delete;
  GPUQueue &operator=(const GPUQueue &) = delete;
  /// Waits as finish() does, dropping its error.
  ~GPUQueue();

  /// Waits until the queued kernels have run; the first error since the
  /// last takeGPUError, or OK. Functions called afterwards wait for their
  /// own kernels again.
  Status finish();
};

/// A buffer in device memory.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer &&other) noexcept;
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer();

  /// `bytes` of device memory, filled from `host` if given. `what` names
  /// the buffer in errors.
  static StatusOr<DeviceBuffer> create(size_t bytes, const void *host,
                                       const char *what);
  /// Copies the first `bytes` of `host` into the buffer (at most its
  /// size), after the kernels a GPUQueue holds have run.
  Status upload(const void *host, size_t bytes);
  /// Copies the first `bytes` of the buffer (at most its size) to `host`,
  /// after the kernels a GPUQueue holds have run.
  Status download(void *host, size_t bytes) const;
  /// Copies the whole buffer to `host`.
  Status download(void *host) const { return download(host, bytes); }
  /// Makes the buffer at least `bytes` large, its contents lost if it
  /// grows.
  Status reserve(size_t bytes, const char *what);
  /// The device address, as kernels take it.
  void *data() const { return reinterpret_cast<void *>(pointer); }
  size_t size() const { return bytes; }

private:
  uint64_t pointer = 0;
  size_t bytes = 0;
};

} // namespace moec

#endif // MOEC_RUNTIME_GPURUNTIME_H
