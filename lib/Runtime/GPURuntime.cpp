//===- GPURuntime.cpp - the mgpu* functions on the CUDA driver ------------===//
#include "moec/Runtime/GPURuntime.h"

#include "CUDADriverAPI.h"

#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <dlfcn.h>

using namespace moec;

namespace {

/// The streams of this thread that no function uses, kept for the next
/// ones: every compiled function asks for a stream, and making and
/// destroying one per call costs more than some layers' kernels.
struct IdleStreams {
  static constexpr size_t kMax = 4;
  std::vector<void *> streams;
  ~IdleStreams();
};

/// What the runtime keeps for each thread.
struct ThreadState {
  /// The first failure since the runtime last took it.
  std::string firstError;
  /// Whether a GPUQueue lives on this thread, and the stream that the
  /// functions called meanwhile share (made by the first of them).
  bool queueing = false;
  void *queuedStream = nullptr;
  IdleStreams idle;
};

} // namespace

extern "C" __attribute__((visibility("default"))) void *mgpuMoecThreadState() {
  thread_local ThreadState state;
  return &state;
}

namespace {

/// This thread's state. A process may hold two copies of this runtime: a
/// tool that links it statically as well as libmoec_runtime.so, whose mgpu*
/// functions its GPU modules call. Both copies must see the same errors,
/// queue and streams, so both use the state of the copy whose
/// mgpuMoecThreadState the dynamic linker finds (the library's: a tool
/// keeps its static copy's symbols to itself).
ThreadState &state() {
  using Getter = void *(*)();
  static const Getter getter = [] {
    auto found =
        reinterpret_cast<Getter>(dlsym(RTLD_DEFAULT, "mgpuMoecThreadState"));
    return found ? found : &mgpuMoecThreadState;
  }();
  return *static_cast<ThreadState *>(getter());
}

const CUDADriver *driverOrNull() {
  StatusOr<const CUDADriver *> driver = CUDADriver::get();
  return driver.ok() ? *driver : nullptr;
}

/// Records `what` failing with `result` (first failure only); true if ok.
bool check(int result, const char *what) {
  if (result == 0)
    return true;
  std::string &firstError = state().firstError;
  if (firstError.empty()) {
    const CUDADriver *driver = driverOrNull();
    firstError = std::string(what) + " failed: " +
                 (driver ? driver->describe(result)
                         : "CUDA error " + std::to_string(result));
  }
  return false;
}

/// Whether a layer's buffers come from the device's memory pool, in stream
/// order (cuMemAllocAsync), rather than from cuMemAlloc and cuMemFree, which
/// synchronise the device: set once the context is made.
bool streamOrderedAllocation = false;

/// Turns stream-ordered allocation on where the driver and device have it
/// and MOEC_GPU_ALLOCATOR is not `sync`. The pool keeps freed memory for
/// the next call instead of returning it at every synchronisation.
void chooseAllocator(const CUDADriver::EntryPoints &api, int device) {
  const char *choice = std::getenv("MOEC_GPU_ALLOCATOR");
  if (choice && std::string(choice) == "sync")
    return;
  if (!api.memAllocAsync || !api.memFreeAsync || !api.deviceGetDefaultMemPool ||
      !api.memPoolSetAttribute)
    return;
  constexpr int kMemoryPoolsSupported = 115;
  int supported = 0;
  if (api.deviceGetAttribute(&supported, kMemoryPoolsSupported, device) != 0 ||
      !supported)
    return;
  void *pool = nullptr;
  if (api.deviceGetDefaultMemPool(&pool, device) != 0)
    return;
  constexpr int kReleaseThreshold = 4;
  uint64_t keepAll = UINT64_MAX;
  if (api.memPoolSetAttribute(pool, kReleaseThreshold, &keepAll) != 0)
    return;
  streamOrderedAllocation = true;
}

/// The driver with device 0's primary context current on this thread, or
/// null (the error recorded) if there is none or an earlier call failed.
const CUDADriver::EntryPoints *ready() {
  std::string &firstError = state().firstError;
  if (!firstError.empty())
    return nullptr;
  static std::once_flag once;
  static void *context = nullptr;
  static std::string contextError;
  StatusOr<const CUDADriver *> driver = CUDADriver::get();
  if (!driver.ok()) {
    firstError = driver.status().message();
    return nullptr;
  }
  const CUDADriver::EntryPoints &api = (*driver)->entryPoints();
  std::call_once(once, [&] {
    int device = 0;
    if (int r = api.deviceGet(&device, 0); r != 0)
      contextError = "cuDeviceGet failed: " + (*driver)->describe(r);
    else if (int r = api.primaryCtxRetain(&context, device); r != 0)
      contextError =
          "cuDevicePrimaryCtxRetain failed: " + (*driver)->describe(r);
    // The pool calls need the context current.
    else if (int r = api.ctxSetCurrent(context); r != 0)
      contextError = "cuCtxSetCurrent failed: " + (*driver)->describe(r);
    else
      chooseAllocator(api, device);
  });
  if (!contextError.empty()) {
    firstError = contextError;
    return nullptr;
  }
  thread_local bool current = false;
  if (!current) {
    if (!check(api.ctxSetCurrent(context), "cuCtxSetCurrent"))
      return nullptr;
    current = true;
  }
  return &api;
}

uint64_t devicePointer(void *p) { return reinterpret_cast<uint64_t>(p); }

IdleStreams::~IdleStreams() {
  if (streams.empty())
    return;
  if (const CUDADriver *driver = driverOrNull())
    for (void *stream : streams)
      (void)driver->entryPoints().streamDestroy(stream);
}

void *takeStream(const CUDADriver::EntryPoints &api) {
  std::vector<void *> &idle = state().idle.streams;
  if (!idle.empty()) {
    void *stream = idle.back();
    idle.pop_back();
    return stream;
  }
  void *stream = nullptr;
  check(api.streamCreate(&stream, /*CU_STREAM_NON_BLOCKING=*/1),
        "cuStreamCreate");
  return stream;
}

/// Takes back a stream a function is done with. Its work is ordered before
/// whatever the next user queues, so it may still be running.
void keepStream(void *stream) {
  std::vector<void *> &idle = state().idle.streams;
  if (idle.size() < IdleStreams::kMax) {
    idle.push_back(stream);
    return;
  }
  if (const CUDADriver *driver = driverOrNull())
    (void)driver->entryPoints().streamDestroy(stream);
}

/// Waits for the kernels of this thread's GPUQueue, if any, even after an
/// error: their memory is about to be read or released.
void drainQueue() {
  void *stream = state().queuedStream;
  if (!stream)
    return;
  if (const CUDADriver *driver = driverOrNull())
    check(driver->entryPoints().streamSynchronize(stream),
          "running the kernels (cuStreamSynchronize)");
}

} // namespace

GPUQueue::GPUQueue() {
  assert(!state().queueing && "GPUQueues do not nest");
  bool canQueue = ready() && streamOrderedAllocation;
  state().queueing = canQueue;
}

GPUQueue::~GPUQueue() {
  if (state().queueing || state().queuedStream)
    (void)finish();
}

Status GPUQueue::finish() {
  drainQueue();
  ThreadState &thread = state();
  if (thread.queuedStream)
    keepStream(thread.queuedStream);
  thread.queuedStream = nullptr;
  thread.queueing = false;
  return takeGPUError();
}

Status moec::useGPU() {
  ready();
  return takeGPUError();
}

Status moec::checkGPUArch(const std::string &arch) {
  StatusOr<const CUDADriver *> driver = CUDADriver::get();
  if (!driver.ok())
    return driver.status();
  StatusOr<CUDADeviceInfo> device = (*driver)->device(0);
  if (!device.ok())
    return device.status();
  std::string digits = arch.size() > 3 ? arch.substr(3) : std::string();
  bool specific = !digits.empty() && digits.back() == 'a';
  if (specific)
    digits.pop_back();
  int major = digits.size() >= 2 ? digits[0] - '0' : -1;
  int minor = digits.size() >= 2 ? digits[1] - '0' : -1;
  bool runs = major == device->major &&
              (specific ? minor == device->minor : minor <= device->minor);
  if (runs)
    return Status();
  return Status::error("the module's kernels are for " + arch +
                       " and do not run on GPU 0, " + device->name + " (" +
                       device->smName() + "); compile it with --gpu-arch " +
                       device->smName());
}

Status moec::takeGPUError() {
  std::string &firstError = state().firstError;
  if (firstError.empty())
    return Status();
  Status s = Status::error("GPU: " + firstError);
  firstError.clear();
  return s;
}

DeviceBuffer::DeviceBuffer(DeviceBuffer &&other) noexcept
    : pointer(std::exchange(other.pointer, 0)),
      bytes(std::exchange(other.bytes, 0)) {}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  std::swap(pointer, other.pointer);
  std::swap(bytes, other.bytes);
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (!pointer)
    return;
  drainQueue();
  if (const CUDADriver *driver = driverOrNull())
    (void)driver->entryPoints().memFree(pointer);
}

StatusOr<DeviceBuffer> DeviceBuffer::create(size_t bytes, const void *host,
                                            const char *what) {
  const CUDADriver::EntryPoints *api = ready();
  if (!api)
    return takeGPUError();
  DeviceBuffer buffer;
  // One byte at least: an empty buffer still has an address.
  if (!check(api->memAlloc(&buffer.pointer, bytes ? bytes : 1), "cuMemAlloc") ||
      (host && bytes &&
       !check(
           api->memcpy(buffer.pointer, reinterpret_cast<uint64_t>(host), bytes),
           "cuMemcpy to the device"))) {
    Status s = takeGPUError();
    return Status::error(s.message() + " (" + what + ", " +
                         std::to_string(bytes) + " bytes)");
  }
  buffer.bytes = bytes;
  return buffer;
}

Status DeviceBuffer::upload(const void *host, size_t count) {
  assert(count <= bytes);
  drainQueue();
  const CUDADriver::EntryPoints *api = ready();
  if (api && count)
    check(api->memcpy(pointer, reinterpret_cast<uint64_t>(host), count),
          "cuMemcpy to the device");
  return takeGPUError();
}

Status DeviceBuffer::download(void *host, size_t count) const {
  assert(count <= bytes);
  drainQueue();
  const CUDADriver::EntryPoints *api = ready();
  if (api && count)
    check(api->memcpy(reinterpret_cast<uint64_t>(host), pointer, count),
          "cuMemcpy from the device");
  return takeGPUError();
}

Status DeviceBuffer::reserve(size_t count, const char *what) {
  if (pointer && bytes >= count)
    return Status();
  StatusOr<DeviceBuffer> larger = create(count, nullptr, what);
  if (!larger.ok())
    return larger.status();
  *this = std::move(*larger);
  return Status();
}

// The mgpu* functions, with the signatures of MLIR's GPU runtime ABI (what
// gpu-to-llvm and the gpu.binary translation call).
extern "C" {

__attribute__((visibility("default"))) void *mgpuModuleLoad(void *data,
                                                            size_t) {
  const CUDADriver::EntryPoints *api = ready();
  void *module = nullptr;
  if (api)
    check(api->moduleLoadData(&module, data), "loading the kernels "
                                              "(cuModuleLoadData)");
  return module;
}

__attribute__((visibility("default"))) void *mgpuModuleLoadJIT(void *data,
                                                               int) {
  return mgpuModuleLoad(data, 0);
}

__attribute__((visibility("default"))) void mgpuModuleUnload(void *module) {
  if (const CUDADriver *driver = driverOrNull(); driver && module)
    (void)driver->entryPoints().moduleUnload(module);
}

__attribute__((visibility("default"))) void *
mgpuModuleGetFunction(void *module, const char *name) {
  const CUDADriver::EntryPoints *api = ready();
  void *function = nullptr;
  if (api && module)
    check(api->moduleGetFunction(&function, module, name),
          "cuModuleGetFunction");
  return function;
}

__attribute__((visibility("default"))) void
mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                 intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                 int32_t sharedMemBytes, void *stream, void **params,
                 void **extra, size_t) {
  const CUDADriver::EntryPoints *api = ready();
  if (!api || !function)
    return;
  // An empty grid (no tokens for a kernel) launches nothing.
  if (gridX == 0 || gridY == 0 || gridZ == 0)
    return;
  check(api->launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                          sharedMemBytes, stream, params, extra),
        "cuLaunchKernel");
}

__attribute__((visibility("default"))) void *mgpuStreamCreate() {
  const CUDADriver::EntryPoints *api = ready();
  if (!api)
    return nullptr;
  ThreadState &thread = state();
  if (!thread.queueing)
    return takeStream(*api);
  if (!thread.queuedStream)
    thread.queuedStream = takeStream(*api);
  return thread.queuedStream;
}

__attribute__((visibility("default"))) void mgpuStreamDestroy(void *stream) {
  if (stream && stream != state().queuedStream)
    keepStream(stream);
}

__attribute__((visibility("default"))) void
mgpuStreamSynchronize(void *stream) {
  // The queue's stream is waited for once, by GPUQueue::finish.
  if (stream && stream == state().queuedStream)
    return;
  if (const CUDADriver::EntryPoints *api = ready(); api && stream)
    check(api->streamSynchronize(stream), "running the kernels "
                                          "(cuStreamSynchronize)");
}

__attribute__((visibility("default"))) void mgpuStreamWaitEvent(void *stream,
                                                                void *event) {
  if (const CUDADriver::EntryPoints *api = ready(); api && event)
    check(api->streamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

__attribute__((visibility("default"))) void *mgpuEventCreate() {
  const CUDADriver::EntryPoints *api = ready();
  void *event = nullptr;
  if (api)
    check(api->eventCreate(&event, /*CU_EVENT_DISABLE_TIMING=*/2),
          "cuEventCreate");
  return event;
}

__attribute__((visibility("default"))) void mgpuEventDestroy(void *event) {
  if (const CUDADriver *driver = driverOrNull(); driver && event)
    (void)driver->entryPoints().eventDestroy(event);
}

__attribute__((visibility("default"))) void mgpuEventSynchronize(void *event) {
  if (const CUDADriver::EntryPoints *api = ready(); api && event)
    check(api->eventSynchronize(event), "cuEventSynchronize");
}

__attribute__((visibility("default"))) void mgpuEventRecord(void *event,
                                                            void *stream) {
  if (const CUDADriver::EntryPoints *api = ready(); api && event)
    check(api->eventRecord(event, stream), "cuEventRecord");
}

// Allocations on a stream (those of gpu-async-region) are stream-ordered
// where the device allows; allocations without one, and managed memory,
// are synchronous. cuMemFree also frees pool memory.
__attribute__((visibility("default"))) void *
mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  const CUDADriver::EntryPoints *api = ready();
  uint64_t pointer = 0;
  if (!api)
    return nullptr;
  // Buffers of no element still get an address, as kernels take one.
  size_t size = bytes ? bytes : 1;
  if (hostShared)
    check(api->memAllocManaged(&pointer, size, /*CU_MEM_ATTACH_GLOBAL=*/1),
          "cuMemAllocManaged");
  else if (streamOrderedAllocation && stream)
    check(api->memAllocAsync(&pointer, size, stream), "cuMemAllocAsync");
  else
    check(api->memAlloc(&pointer, size), "cuMemAlloc");
  return reinterpret_cast<void *>(pointer);
}

__attribute__((visibility("default"))) void mgpuMemFree(void *pointer,
                                                        void *stream) {
  const CUDADriver *driver = driverOrNull();
  if (!driver || !pointer)
    return;
  const CUDADriver::EntryPoints &api = driver->entryPoints();
  if (streamOrderedAllocation && stream)
    (void)api.memFreeAsync(devicePointer(pointer), stream);
  else
    (void)api.memFree(devicePointer(pointer));
}

__attribute__((visibility("default"))) void
mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (const CUDADriver::EntryPoints *api = ready(); api && bytes)
    check(
        api->memcpyAsync(devicePointer(dst), devicePointer(src), bytes, stream),
        "cuMemcpyAsync");
}

__attribute__((visibility("default"))) void
mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  if (const CUDADriver::EntryPoints *api = ready(); api && count)
    check(api->memsetD32Async(devicePointer(dst), value, count, stream),
          "cuMemsetD32Async");
}

__attribute__((visibility("default"))) void
mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  if (const CUDADriver::EntryPoints *api = ready(); api && count)
    check(api->memsetD16Async(devicePointer(dst), value, count, stream),
          "cuMemsetD16Async");
}

} // extern "C"
