//===- ReportError.h - a pass that fails with a message --------*- C++ -*-===//
#ifndef MOEC_LIB_PIPELINES_REPORTERROR_H
#define MOEC_LIB_PIPELINES_REPORTERROR_H

#include "mlir/Pass/Pass.h"

#include <memory>
#include <string>

namespace moec {

/// A pass that fails with `message`: how a pipeline whose options are wrong
/// says so.
std::unique_ptr<mlir::Pass> createReportError(std::string message);

} // namespace moec

#endif // MOEC_LIB_PIPELINES_REPORTERROR_H
