//===- moe-opt.cpp - the moec pass driver ---------------------------------===//
//
// Like mlir-opt: parses moe IR, runs passes and pipelines, prints the result.
//
//===----------------------------------------------------------------------===//
#include "moec/Pipelines/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  moec::registerCompilerDialects(registry);
  moec::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "moec optimizer driver\n", registry));
}
