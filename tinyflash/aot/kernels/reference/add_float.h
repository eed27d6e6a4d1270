// ADD, SUB (clamped to the fused activation's bounds) and SQUARED_DIFFERENCE (no activation), float32.
#ifndef TINYFLASH_AOT_REFERENCE_ADD_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_ADD_FLOAT_H_

#include "common/broadcast.h"
#include "common/fixedpoint.h"

inline void AddFloat(const BinaryFloatParams& p, const float* input1, const float* input2, float* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output,
           [&](float a, float b) { return ClampFloat(a + b, p.activation_min, p.activation_max); });
}

inline void SubFloat(const BinaryFloatParams& p, const float* input1, const float* input2, float* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output,
           [&](float a, float b) { return ClampFloat(a - b, p.activation_min, p.activation_max); });
}

inline void SquaredDifferenceFloat(const BinaryParams& p, const float* input1, const float* input2, float* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [](float a, float b) {
    const float difference = a - b;
    return difference * difference;
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_ADD_FLOAT_H_
