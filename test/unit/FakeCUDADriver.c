/*===- FakeCUDADriver.c - a libcuda.so.1 for testing the GPU runtime -------===
 *
 * The CUDA driver entry points moec resolves, on host memory and without a
 * GPU: kernels do not run, but streams keep track of the work queued on
 * them until they are synchronised. Built as libcuda.so.1 in a folder of its
 * own, which only the GPU runtime tests put on LD_LIBRARY_PATH. Copying
 * device memory to the host with cuMemcpy while a stream still has work
 * counts as a hazard: the copy does not wait for moec's streams (they do not
 * block), so on a GPU the kernels could still be writing that memory.
 * FAKE_CUDA_NO_MEMORY_POOLS=1 makes the device lack stream-ordered
 * allocation; FAKE_CUDA_FAIL_LAUNCH=K fails the K-th kernel launch
 * (CUDA_ERROR_LAUNCH_FAILED) and FAKE_CUDA_FAIL_SYNC=K the K-th stream
 * synchronisation (CUDA_ERROR_ILLEGAL_ADDRESS, as after a kernel fault);
 * FAKE_CUDA_REPORT=FILE writes the counts to FILE, as JSON, when the process
 * ends.
 *
 *===----------------------------------------------------------------------===*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t CUdeviceptr;

enum { kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2 };
enum { kMaxStreams = 64, kMaxAllocations = 4096 };

/* What the tests read: the data symbol fakeCudaCounts (data, not a
 * function returning it, which UBSan's function check would refuse to call
 * from C++ through a pointer to a struct type of C++'s own). */
struct FakeCUDACounts {
  int streamsCreated, streamsDestroyed, synchronizations, launches, hazards;
  /* cuMemAlloc calls: those outside stream order, which cost the most. */
  int allocations;
};

struct FakeCUDACounts fakeCudaCounts;
static int nextSyncError;

struct Stream {
  int live, pending;
};
static struct Stream streams[kMaxStreams];

static struct {
  void *address;
  size_t bytes;
} allocations[kMaxAllocations];

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("FAKE_CUDA_REPORT");
  FILE *file = path ? fopen(path, "w") : NULL;
  if (!file)
    return;
  fprintf(file,
          "{\"streamsCreated\": %d, \"streamsDestroyed\": %d, "
          "\"synchronizations\": %d, \"launches\": %d, \"hazards\": %d, "
          "\"allocations\": %d}\n",
          fakeCudaCounts.streamsCreated, fakeCudaCounts.streamsDestroyed,
          fakeCudaCounts.synchronizations, fakeCudaCounts.launches,
          fakeCudaCounts.hazards, fakeCudaCounts.allocations);
  fclose(file);
}

/* The next stream synchronisation fails with `error`, as after a kernel
 * fault. */
void fakeCudaFailNextSynchronization(int error) { nextSyncError = error; }

/* Whether the `count`-th call is the one the environment variable `name`
 * asks to fail. */
static int failsAt(const char *name, int count) {
  const char *k = getenv(name);
  return k && atoi(k) == count;
}

static int anyPending(void) {
  for (int i = 0; i < kMaxStreams; ++i)
    if (streams[i].live && streams[i].pending)
      return 1;
  return 0;
}

static int queue(void *stream) {
  struct Stream *s = stream;
  if (!s || !s->live)
    return kInvalidValue;
  s->pending = 1;
  return kSuccess;
}

static int isDevice(CUdeviceptr pointer) {
  for (int i = 0; i < kMaxAllocations; ++i)
    if (allocations[i].address &&
        pointer >= (CUdeviceptr)(uintptr_t)allocations[i].address &&
        pointer < (CUdeviceptr)(uintptr_t)allocations[i].address +
                      allocations[i].bytes)
      return 1;
  return 0;
}

static int allocate(CUdeviceptr *pointer, size_t bytes) {
  for (int i = 0; i < kMaxAllocations; ++i)
    if (!allocations[i].address) {
      /* Zeros: the kernels that would fill it do not run. */
      allocations[i].address = calloc(bytes ? bytes : 1, 1);
      if (!allocations[i].address)
        return kOutOfMemory;
      allocations[i].bytes = bytes;
      *pointer = (CUdeviceptr)(uintptr_t)allocations[i].address;
      return kSuccess;
    }
  return kOutOfMemory;
}

static int release(CUdeviceptr pointer) {
  for (int i = 0; i < kMaxAllocations; ++i)
    if ((CUdeviceptr)(uintptr_t)allocations[i].address == pointer) {
      free(allocations[i].address);
      allocations[i].address = NULL;
      return kSuccess;
    }
  return kInvalidValue;
}

int cuInit(unsigned flags) { return flags ? kInvalidValue : kSuccess; }
int cuDriverGetVersion(int *version) {
  *version = 13000;
  return kSuccess;
}
int cuDeviceGetCount(int *count) {
  *count = 1;
  return kSuccess;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return ordinal == 0 ? kSuccess : kInvalidValue;
}
int cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "Fake GPU", (size_t)length);
  return kSuccess;
}
int cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  const char *noPools = getenv("FAKE_CUDA_NO_MEMORY_POOLS");
  switch (attribute) {
  case 75: /* compute capability major */
    *value = 9;
    break;
  case 76: /* minor */
    *value = 0;
    break;
  case 115: /* memory pools supported */
    *value = !(noPools && strcmp(noPools, "1") == 0);
    break;
  default:
    *value = 132;
  }
  return kSuccess;
}
int cuDeviceTotalMem_v2(size_t *bytes, int device) {
  (void)device;
  *bytes = (size_t)1 << 30;
  return kSuccess;
}
int cuGetErrorName(int result, const char **name) {
  *name = result == 700   ? "CUDA_ERROR_ILLEGAL_ADDRESS"
          : result == 719 ? "CUDA_ERROR_LAUNCH_FAILED"
                          : "CUDA_ERROR_FAKE";
  return kSuccess;
}
int cuGetErrorString(int result, const char **text) {
  *text = result == 700   ? "an illegal memory access was encountered"
          : result == 719 ? "unspecified launch failure"
                          : "an error of the fake driver";
  return kSuccess;
}

static int context;
int cuDevicePrimaryCtxRetain(void **ctx, int device) {
  (void)device;
  *ctx = &context;
  return kSuccess;
}
int cuCtxSetCurrent(void *ctx) { return ctx == &context ? 0 : kInvalidValue; }

static int module;
int cuModuleLoadData(void **m, const void *image) {
  *m = image ? &module : NULL;
  return image ? kSuccess : kInvalidValue;
}
int cuModuleUnload(void *m) { return m == &module ? 0 : kInvalidValue; }
static int function;
int cuModuleGetFunction(void **f, void *m, const char *name) {
  *f = &function;
  return m == &module && name ? kSuccess : kInvalidValue;
}
int cuLaunchKernel(void *f, unsigned gridX, unsigned gridY, unsigned gridZ,
                   unsigned blockX, unsigned blockY, unsigned blockZ,
                   unsigned sharedMemBytes, void *stream, void **params,
                   void **extra) {
  (void)sharedMemBytes;
  (void)params;
  (void)extra;
  if (f != &function || !gridX || !gridY || !gridZ || !blockX || !blockY ||
      !blockZ || blockX * blockY * blockZ > 1024)
    return kInvalidValue;
  ++fakeCudaCounts.launches;
  if (failsAt("FAKE_CUDA_FAIL_LAUNCH", fakeCudaCounts.launches))
    return 719;
  return queue(stream);
}

int cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  for (int i = 0; i < kMaxStreams; ++i)
    if (!streams[i].live) {
      streams[i].live = 1;
      streams[i].pending = 0;
      *stream = &streams[i];
      ++fakeCudaCounts.streamsCreated;
      return kSuccess;
    }
  return kOutOfMemory;
}
int cuStreamSynchronize(void *stream) {
  struct Stream *s = stream;
  if (!s || !s->live)
    return kInvalidValue;
  ++fakeCudaCounts.synchronizations;
  s->pending = 0;
  int error = nextSyncError;
  nextSyncError = 0;
  if (failsAt("FAKE_CUDA_FAIL_SYNC", fakeCudaCounts.synchronizations))
    error = 700;
  return error;
}
int cuStreamDestroy_v2(void *stream) {
  struct Stream *s = stream;
  if (!s || !s->live)
    return kInvalidValue;
  /* Work queued before the destruction still completes. */
  s->live = 0;
  ++fakeCudaCounts.streamsDestroyed;
  return kSuccess;
}

static int event;
int cuEventCreate(void **e, unsigned flags) {
  (void)flags;
  *e = &event;
  return kSuccess;
}
int cuEventDestroy_v2(void *e) { return e == &event ? 0 : kInvalidValue; }
int cuEventRecord(void *e, void *stream) {
  (void)stream;
  return e == &event ? 0 : kInvalidValue;
}
int cuEventSynchronize(void *e) {
  for (int i = 0; i < kMaxStreams; ++i)
    streams[i].pending = 0;
  return e == &event ? 0 : kInvalidValue;
}
int cuStreamWaitEvent(void *stream, void *e, unsigned flags) {
  (void)flags;
  return e == &event ? queue(stream) : kInvalidValue;
}

int cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  ++fakeCudaCounts.allocations;
  return allocate(pointer, bytes);
}
int cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes, unsigned flags) {
  (void)flags;
  return allocate(pointer, bytes);
}
int cuMemFree_v2(CUdeviceptr pointer) {
  /* As the driver does: cuMemFree waits for the device. */
  for (int i = 0; i < kMaxStreams; ++i)
    streams[i].pending = 0;
  return release(pointer);
}
int cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  if (isDevice(src) && anyPending())
    ++fakeCudaCounts.hazards;
  memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
  return kSuccess;
}
int cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                  void *stream) {
  memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
  return queue(stream);
}
int cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count,
                     void *stream) {
  uint32_t *d = (uint32_t *)(uintptr_t)dst;
  for (size_t i = 0; i < count; ++i)
    d[i] = value;
  return queue(stream);
}
int cuMemsetD16Async(CUdeviceptr dst, unsigned short value, size_t count,
                     void *stream) {
  uint16_t *d = (uint16_t *)(uintptr_t)dst;
  for (size_t i = 0; i < count; ++i)
    d[i] = value;
  return queue(stream);
}

int cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes, void *stream) {
  int r = allocate(pointer, bytes);
  return r ? r : queue(stream);
}
int cuMemFreeAsync(CUdeviceptr pointer, void *stream) {
  int r = queue(stream);
  return r ? r : release(pointer);
}
static int pool;
int cuDeviceGetDefaultMemPool(void **p, int device) {
  (void)device;
  *p = &pool;
  return kSuccess;
}
int cuMemPoolSetAttribute(void *p, int attribute, void *value) {
  (void)attribute;
  (void)value;
  return p == &pool ? kSuccess : kInvalidValue;
}
