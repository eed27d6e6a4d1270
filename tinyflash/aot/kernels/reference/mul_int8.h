// MUL, int8 and int16: one multiplier for s1 * s2 / s_out.
#ifndef TINYFLASH_AOT_REFERENCE_MUL_INT8_H_
#define TINYFLASH_AOT_REFERENCE_MUL_INT8_H_

#include <stdint.h>

#include "common/broadcast.h"
#include "common/fixedpoint.h"

// T: int8 or int16 (zero points 0), as TFLM's MulElementwise template.
template <typename T>
inline void MulQuantized(const BinaryInt8Params& p, const T* input1, const T* input2, T* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [&](T a, T b) {
    const int32_t product = (a + p.input1_offset) * (b + p.input2_offset);
    const int32_t value = p.output_offset + MultiplyByQuantizedMultiplier(product, p.multiplier, p.shift);
    return static_cast<T>(Clamp(value, p.activation_min, p.activation_max));
  });
}

inline void MulInt8(const BinaryInt8Params& p, const int8_t* input1, const int8_t* input2, int8_t* output) {
  MulQuantized(p, input1, input2, output);
}

inline void MulInt16(const BinaryInt8Params& p, const int16_t* input1, const int16_t* input2, int16_t* output) {
  MulQuantized(p, input1, input2, output);
}

#endif  // TINYFLASH_AOT_REFERENCE_MUL_INT8_H_
