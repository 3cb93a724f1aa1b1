//===- CUDADriverAPI.h - the driver entry points moec calls ----*- C++ -*-===//
//
// The CUDA driver API functions moec resolves from libcuda.so.1, with the
// driver API's ABI and without cuda.h: results are CUresult (an int, 0 on
// success), devices CUdevice (an int), handles (contexts, modules,
// functions, streams, events) opaque pointers, device memory CUdeviceptr
// (an unsigned 64-bit integer).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_RUNTIME_CUDADRIVERAPI_H
#define MOEC_LIB_RUNTIME_CUDADRIVERAPI_H

#include "moec/Runtime/CUDADriver.h"

#include <cstddef>
#include <cstdint>

namespace moec {

using CUdeviceptr = uint64_t;

struct CUDADriver::EntryPoints {
  int (*init)(unsigned flags);
  int (*driverGetVersion)(int *version);
  int (*deviceGetCount)(int *count);
  int (*deviceGet)(int *device, int ordinal);
  int (*deviceGetName)(char *name, int length, int device);
  int (*deviceGetAttribute)(int *value, int attribute, int device);
  int (*deviceTotalMem)(size_t *bytes, int device);
  int (*getErrorName)(int result, const char **name);
  int (*getErrorString)(int result, const char **text);

  int (*primaryCtxRetain)(void **context, int device);
  int (*ctxSetCurrent)(void *context);
  int (*moduleLoadData)(void **module, const void *image);
  int (*moduleUnload)(void *module);
  int (*moduleGetFunction)(void **function, void *module, const char *name);
  int (*launchKernel)(void *function, unsigned gridX, unsigned gridY,
                      unsigned gridZ, unsigned blockX, unsigned blockY,
                      unsigned blockZ, unsigned sharedMemBytes, void *stream,
                      void **kernelParams, void **extra);
  int (*streamCreate)(void **stream, unsigned flags);
  int (*streamSynchronize)(void *stream);
  int (*streamDestroy)(void *stream);
  int (*eventCreate)(void **event, unsigned flags);
  int (*eventDestroy)(void *event);
  int (*eventRecord)(void *event, void *stream);
  int (*eventSynchronize)(void *event);
  int (*streamWaitEvent)(void *stream, void *event, unsigned flags);
  int (*memAlloc)(CUdeviceptr *pointer, size_t bytes);
  int (*memAllocManaged)(CUdeviceptr *pointer, size_t bytes, unsigned flags);
  int (*memFree)(CUdeviceptr pointer);
  int (*memcpy)(CUdeviceptr dst, CUdeviceptr src, size_t bytes);
  int (*memcpyAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                     void *stream);
  int (*memsetD32Async)(CUdeviceptr dst, unsigned value, size_t count,
                        void *stream);
  int (*memsetD16Async)(CUdeviceptr dst, unsigned short value, size_t count,
                        void *stream);

  // Stream-ordered allocation (CUDA 11.2 and later); null where the driver
  // has none.
  int (*memAllocAsync)(CUdeviceptr *pointer, size_t bytes, void *stream);
  int (*memFreeAsync)(CUdeviceptr pointer, void *stream);
  int (*deviceGetDefaultMemPool)(void **pool, int device);
  int (*memPoolSetAttribute)(void *pool, int attribute, void *value);
};

} // namespace moec

#endif // MOEC_LIB_RUNTIME_CUDADRIVERAPI_H
