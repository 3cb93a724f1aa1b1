//===- ReportError.cpp - a pass that fails with a message -----------------===//
#include "ReportError.h"

using namespace mlir;

namespace {

struct ReportError : PassWrapper<ReportError, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ReportError)
  explicit ReportError(std::string message) : message(std::move(message)) {}
  StringRef getArgument() const override { return "moe-report-error"; }
  void runOnOperation() override {
    getOperation()->emitError() << message;
    signalPassFailure();
  }
  std::string message;
};

} // namespace

std::unique_ptr<Pass> moec::createReportError(std::string message) {
  return std::make_unique<ReportError>(std::move(message));
}
