// MUL and DIV, float32, clamped to the fused activation.
#ifndef TINYFLASH_AOT_REFERENCE_MUL_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_MUL_FLOAT_H_

#include "common/broadcast.h"
#include "common/fixedpoint.h"

inline void MulFloat(const BinaryFloatParams& p, const float* input1, const float* input2, float* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output,
           [&](float a, float b) { return ClampFloat(a * b, p.activation_min, p.activation_max); });
}

inline void DivFloat(const BinaryFloatParams& p, const float* input1, const float* input2, float* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output,
           [&](float a, float b) { return ClampFloat(a / b, p.activation_min, p.activation_max); });
}

#endif  // TINYFLASH_AOT_REFERENCE_MUL_FLOAT_H_
