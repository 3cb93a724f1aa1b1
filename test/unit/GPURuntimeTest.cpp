//===- GPURuntimeTest.cpp - streams and waits of the GPU runtime ----------===//
//
// Runs on FakeCUDADriver.c (see CMakeLists.txt): the mgpu* calls that a
// compiled function makes, and when the runtime waits for its kernels.
//
//===----------------------------------------------------------------------===//
#include "moec/Runtime/GPURuntime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdint>
#include <cstring>

extern "C" {
void *mgpuModuleLoad(void *data, size_t bytes);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemBytes, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
void mgpuMemFree(void *pointer, void *stream);
}

using namespace moec;

namespace {

struct FakeCounts {
  int streamsCreated, streamsDestroyed, synchronizations, launches, hazards,
      allocations;
};

/// The fake driver's own functions, from the library the runtime loaded.
class FakeDriver {
public:
  static const FakeCounts &counts() { return *get().countsData; }
  static void failNextSynchronization(int error) { get().failFn(error); }

private:
  const FakeCounts *countsData = nullptr;
  void (*failFn)(int) = nullptr;

  static FakeDriver &get() {
    static FakeDriver driver = [] {
      FakeDriver d;
      void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
      if (library) {
        d.countsData =
            static_cast<const FakeCounts *>(dlsym(library, "fakeCudaCounts"));
        d.failFn = reinterpret_cast<void (*)(int)>(
            dlsym(library, "fakeCudaFailNextSynchronization"));
      }
      return d;
    }();
    return driver;
  }

public:
  static bool loaded() { return get().countsData && get().failFn; }
};

/// What a function that moe-gpu-pipeline compiled does: a stream, a
/// temporary buffer, a kernel, a wait for the stream at the end.
void runCompiledFunction(void *module, void *output) {
  void *stream = mgpuStreamCreate();
  void *temporary = mgpuMemAlloc(64, stream, false);
  void *kernel = mgpuModuleGetFunction(module, "moe_kernel");
  void *params[] = {&temporary, &output};
  mgpuLaunchKernel(kernel, 4, 1, 1, 128, 1, 1, 0, stream, params, nullptr, 2);
  mgpuMemFree(temporary, stream);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
}

class GPURuntime : public testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(useGPU().ok()) << "the fake driver is not on LD_LIBRARY_PATH";
    ASSERT_TRUE(FakeDriver::loaded()) << "libcuda.so.1 is not FakeCUDADriver.c";
    static const char image[] = "fake cubin";
    module = mgpuModuleLoad(const_cast<char *>(image), sizeof(image));
    ASSERT_NE(module, nullptr);
    StatusOr<DeviceBuffer> buffer = DeviceBuffer::create(16, data, "output");
    ASSERT_TRUE(buffer.ok()) << buffer.status().message();
    output = std::move(*buffer);
    before = FakeDriver::counts();
  }
  void TearDown() override {
    mgpuModuleUnload(module);
    EXPECT_EQ(FakeDriver::counts().hazards, 0)
        << "device memory read or released while kernels could use it";
  }

  int synchronizations() const {
    return FakeDriver::counts().synchronizations - before.synchronizations;
  }
  int streamsCreated() const {
    return FakeDriver::counts().streamsCreated - before.streamsCreated;
  }

  const char data[16] = "device contents";
  void *module = nullptr;
  DeviceBuffer output;
  FakeCounts before{};
};

TEST_F(GPURuntime, FunctionsWaitForTheirKernelsAndShareAStream) {
  for (int i = 0; i < 3; ++i)
    runCompiledFunction(module, output.data());
  EXPECT_EQ(synchronizations(), 3);
  EXPECT_LE(streamsCreated(), 1);
  EXPECT_EQ(FakeDriver::counts().launches - before.launches, 3);
  EXPECT_TRUE(takeGPUError().ok());
}

TEST_F(GPURuntime, AQueueWaitsOnce) {
  GPUQueue queue;
  for (int i = 0; i < 3; ++i)
    runCompiledFunction(module, output.data());
  EXPECT_EQ(synchronizations(), 0);
  ASSERT_TRUE(queue.finish().ok());
  EXPECT_EQ(synchronizations(), 1);
  EXPECT_LE(streamsCreated(), 1);
  // Functions after finish wait for their own kernels again.
  runCompiledFunction(module, output.data());
  EXPECT_EQ(synchronizations(), 2);
}

TEST_F(GPURuntime, DownloadWaitsForTheQueue) {
  GPUQueue queue;
  runCompiledFunction(module, output.data());
  char host[16] = {};
  ASSERT_TRUE(output.download(host).ok());
  EXPECT_EQ(std::memcmp(host, data, sizeof(host)), 0);
  EXPECT_EQ(synchronizations(), 1);
  EXPECT_TRUE(queue.finish().ok());
}

TEST_F(GPURuntime, ReleaseWaitsForTheQueue) {
  GPUQueue queue;
  {
    StatusOr<DeviceBuffer> input = DeviceBuffer::create(16, data, "input");
    ASSERT_TRUE(input.ok());
    runCompiledFunction(module, input->data());
  }
  EXPECT_EQ(synchronizations(), 1);
  EXPECT_TRUE(queue.finish().ok());
}

TEST_F(GPURuntime, AKernelFaultIsReportedByFinish) {
  {
    GPUQueue queue;
    runCompiledFunction(module, output.data());
    FakeDriver::failNextSynchronization(700);
    Status s = queue.finish();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("CUDA_ERROR_ILLEGAL_ADDRESS"), std::string::npos)
        << s.message();
  }
  // The error is taken: the next functions run.
  runCompiledFunction(module, output.data());
  EXPECT_TRUE(takeGPUError().ok());
}

TEST_F(GPURuntime, AQueueLeftEarlyStillWaits) {
  {
    GPUQueue queue;
    runCompiledFunction(module, output.data());
  }
  EXPECT_EQ(synchronizations(), 1);
  EXPECT_TRUE(takeGPUError().ok());
}

TEST_F(GPURuntime, BuffersGrowOnly) {
  DeviceBuffer buffer;
  ASSERT_TRUE(buffer.reserve(16, "buffer").ok());
  ASSERT_TRUE(buffer.reserve(8, "buffer").ok());
  EXPECT_EQ(buffer.size(), 16u);
  EXPECT_EQ(FakeDriver::counts().allocations - before.allocations, 1);
  ASSERT_TRUE(buffer.reserve(32, "buffer").ok());
  EXPECT_EQ(buffer.size(), 32u);
  EXPECT_EQ(FakeDriver::counts().allocations - before.allocations, 2);
}

TEST_F(GPURuntime, UploadAndDownloadOfAPrefix) {
  GPUQueue queue;
  runCompiledFunction(module, output.data());
  ASSERT_TRUE(output.upload("DEVICE", 6).ok());
  EXPECT_EQ(synchronizations(), 1) << "uploaded while kernels could read";
  char host[8] = "-------";
  ASSERT_TRUE(output.download(host, 7).ok());
  EXPECT_STREQ(host, "DEVICE ");
  EXPECT_TRUE(queue.finish().ok());
}

// Run by its own ctest entry, with FAKE_CUDA_NO_MEMORY_POOLS=1: functions
// free their buffers synchronously, so each must still wait for its kernels.
TEST_F(GPURuntime, WithoutMemoryPoolsFunctionsStillWait) {
  GPUQueue queue;
  for (int i = 0; i < 2; ++i)
    runCompiledFunction(module, output.data());
  EXPECT_EQ(synchronizations(), 2);
  EXPECT_TRUE(queue.finish().ok());
}

} // namespace
