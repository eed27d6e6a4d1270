// ADD, int8: inputs shifted left by left_shift bits, rescaled to a common scale, summed, rescaled.
#ifndef TINYFLASH_AOT_REFERENCE_ADD_INT8_H_
#define TINYFLASH_AOT_REFERENCE_ADD_INT8_H_

#include <stdint.h>

#include "common/broadcast.h"
#include "common/fixedpoint.h"

struct AddInt8Params {
  int32_t count;
  const Broadcast* broadcast;
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t left_shift;
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t activation_min;
  int32_t activation_max;
};

inline void AddInt8(const AddInt8Params& p, const int8_t* input1, const int8_t* input2, int8_t* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [&](int8_t a, int8_t b) {
    const int32_t shifted1 = ShiftLeftWrapping(a + p.input1_offset, p.left_shift);
    const int32_t shifted2 = ShiftLeftWrapping(b + p.input2_offset, p.left_shift);
    const int32_t scaled1 = MultiplyByQuantizedMultiplier(shifted1, p.input1_multiplier, p.input1_shift);
    const int32_t scaled2 = MultiplyByQuantizedMultiplier(shifted2, p.input2_multiplier, p.input2_shift);
    const int32_t sum = MultiplyByQuantizedMultiplier(scaled1 + scaled2, p.output_multiplier, p.output_shift);
    return static_cast<int8_t>(Clamp(sum + p.output_offset, p.activation_min, p.activation_max));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_ADD_INT8_H_
