//===- Registration.h - dialects and interfaces moec uses ------*- C++ -*-===//
#ifndef MOEC_PIPELINES_REGISTRATION_H
#define MOEC_PIPELINES_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace moec {

/// Registers the moe dialect, every upstream dialect that moec lowers
/// through, and the external interface models (bufferization) the pipelines
/// rely on.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Registers moec's passes, pipelines and the upstream passes that the
/// pipelines are made of, so that moe-opt can run each step alone.
void registerCompilerPasses();

} // namespace moec

#endif // MOEC_PIPELINES_REGISTRATION_H
