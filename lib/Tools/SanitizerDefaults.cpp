//===- SanitizerDefaults.cpp - ASan settings for binaries linking MLIR ----===//
//
// libMLIR.so and libLLVM.so are not built with AddressSanitizer, but the
// parts of llvm::BumpPtrAllocator that are inlined into moec's own code are:
// under ASan, llvm/Support/Allocator.h poisons each new slab and unpoisons
// what it hands out. Slabs that moec's code poisons are then written by
// library code that never unpoisons them (MLIR's attribute and type
// uniquers share one allocator), and ASan reports a use-after-poison that is
// not a bug. Binaries that link MLIR therefore ignore manual poisoning; every
// other ASan check stays on. Without ASan this function is never called.
//
//===----------------------------------------------------------------------===//

extern "C" __attribute__((visibility("default"), used)) const char *
__asan_default_options() {
  return "allow_user_poisoning=0";
}
