//===- EmitPackedEntryPoints.cpp - one calling convention for all ---------===//
#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace moec {
#define GEN_PASS_DEF_MOEEMITPACKEDENTRYPOINTS
#include "moec/Transforms/Passes.h.inc"
} // namespace moec

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kCInterfacePrefix = "_mlir_ciface_";
constexpr llvm::StringLiteral kEntryPrefix = "moec_call_";

struct MoEEmitPackedEntryPoints
    : moec::impl::MoEEmitPackedEntryPointsBase<MoEEmitPackedEntryPoints> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<LLVM::LLVMFuncOp> interfaces;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (fn.getName().starts_with(kCInterfacePrefix) && !fn.isExternal())
        interfaces.push_back(fn);

    auto ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder b(ctx);
    for (LLVM::LLVMFuncOp fn : interfaces) {
      LLVM::LLVMFunctionType type = fn.getFunctionType();
      if (!isa<LLVM::LLVMVoidType>(type.getReturnType())) {
        fn.emitError() << "moe-emit-packed-entry-points: " << fn.getName()
                       << " returns a value; packed entry points take "
                          "results through output operands";
        return signalPassFailure();
      }
      std::string name =
          (kEntryPrefix + fn.getName().drop_front(kCInterfacePrefix.size()))
              .str();
      if (module.lookupSymbol(name)) {
        fn.emitError() << "moe-emit-packed-entry-points: " << name
                       << " already exists";
        return signalPassFailure();
      }
      Location loc = fn.getLoc();
      b.setInsertionPointToEnd(module.getBody());
      auto entry = LLVM::LLVMFuncOp::create(
          b, loc, name,
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
      Block *body = entry.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      SmallVector<Value> args;
      for (auto [i, param] : llvm::enumerate(type.getParams())) {
        Value slot = LLVM::GEPOp::create(
            b, loc, ptr, ptr, body->getArgument(0),
            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
        Value p = LLVM::LoadOp::create(b, loc, ptr, slot);
        args.push_back(isa<LLVM::LLVMPointerType>(param)
                           ? p
                           : LLVM::LoadOp::create(b, loc, param, p));
      }
      LLVM::CallOp::create(b, loc, fn, args);
      LLVM::ReturnOp::create(b, loc, ValueRange());
    }
  }
};

} // namespace
