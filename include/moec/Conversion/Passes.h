//===- Passes.h - moe conversion passes ------------------------*- C++ -*-===//
#ifndef MOEC_CONVERSION_PASSES_H
#define MOEC_CONVERSION_PASSES_H

#include "moec/Conversion/MoEToGPU.h"
#include "moec/Conversion/MoEToLinalg.h"
#include "moec/Conversion/MoEToVector.h"

namespace moec {

#define GEN_PASS_REGISTRATION
#include "moec/Conversion/Passes.h.inc"

} // namespace moec

#endif // MOEC_CONVERSION_PASSES_H
