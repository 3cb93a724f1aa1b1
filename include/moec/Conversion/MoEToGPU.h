//===- MoEToGPU.h - lower moe ops to GPU kernels ---------------*- C++ -*-===//
#ifndef MOEC_CONVERSION_MOETOGPU_H
#define MOEC_CONVERSION_MOETOGPU_H

#include "mlir/Pass/Pass.h"

namespace moec {

#define GEN_PASS_DECL_CONVERTMOETOGPU
#define GEN_PASS_DECL_MOEGPUDEVICEBUFFERS
#define GEN_PASS_DECL_MOEGPUMERGEKERNELMODULES
#define GEN_PASS_DECL_MOEGPUPARALLELLOOPSTOKERNELS
#define GEN_PASS_DECL_MOEGPUPREDICATELAUNCHES
#define GEN_PASS_DECL_MOEGPULAUNCHTOLOOPS
#include "moec/Conversion/Passes.h.inc"

} // namespace moec

#endif // MOEC_CONVERSION_MOETOGPU_H
