// MUL, int8: one multiplier for s1 * s2 / s_out.
#ifndef TINYFLASH_AOT_REFERENCE_MUL_INT8_H_
#define TINYFLASH_AOT_REFERENCE_MUL_INT8_H_

#include <stdint.h>

#include "common/broadcast.h"
#include "common/fixedpoint.h"

inline void MulInt8(const BinaryInt8Params& p, const int8_t* input1, const int8_t* input2, int8_t* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [&](int8_t a, int8_t b) {
    const int32_t product = (a + p.input1_offset) * (b + p.input2_offset);
    const int32_t value = p.output_offset + MultiplyByQuantizedMultiplier(product, p.multiplier, p.shift);
    return static_cast<int8_t>(Clamp(value, p.activation_min, p.activation_max));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_MUL_INT8_H_
