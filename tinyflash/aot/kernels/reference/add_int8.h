// ADD, SUB and SQUARED_DIFFERENCE, int8, and ADD and SUB int16 (TFLM's quantized arithmetic): both inputs shifted left
// by left_shift bits and rescaled to a common scale, then summed, subtracted, or subtracted and squared, and rescaled
// to the output.
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

enum class Combine { kAdd, kSub, kSquaredDifference };

// T: int8, or int16 (ADD and SUB, left_shift 15 instead of 20), as TFLM's AddElementwise template.
template <Combine kCombine, typename T>
inline void CombineQuantized(const AddInt8Params& p, const T* input1, const T* input2, T* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [&](T a, T b) {
    const int32_t shifted1 = ShiftLeftWrapping(a + p.input1_offset, p.left_shift);
    const int32_t shifted2 = ShiftLeftWrapping(b + p.input2_offset, p.left_shift);
    const int32_t scaled1 = MultiplyByQuantizedMultiplier(shifted1, p.input1_multiplier, p.input1_shift);
    const int32_t scaled2 = MultiplyByQuantizedMultiplier(shifted2, p.input2_multiplier, p.input2_shift);
    const int32_t raw = kCombine == Combine::kAdd ? scaled1 + scaled2 : scaled1 - scaled2;
    const int32_t combined = kCombine == Combine::kSquaredDifference ? raw * raw : raw;
    const int32_t result = MultiplyByQuantizedMultiplier(combined, p.output_multiplier, p.output_shift);
    return static_cast<T>(Clamp(result + p.output_offset, p.activation_min, p.activation_max));
  });
}

inline void AddInt8(const AddInt8Params& p, const int8_t* input1, const int8_t* input2, int8_t* output) {
  CombineQuantized<Combine::kAdd>(p, input1, input2, output);
}

inline void SubInt8(const AddInt8Params& p, const int8_t* input1, const int8_t* input2, int8_t* output) {
  CombineQuantized<Combine::kSub>(p, input1, input2, output);
}

inline void SquaredDifferenceInt8(const AddInt8Params& p, const int8_t* input1, const int8_t* input2, int8_t* output) {
  CombineQuantized<Combine::kSquaredDifference>(p, input1, input2, output);
}

inline void AddInt16(const AddInt8Params& p, const int16_t* input1, const int16_t* input2, int16_t* output) {
  CombineQuantized<Combine::kAdd>(p, input1, input2, output);
}

inline void SubInt16(const AddInt8Params& p, const int16_t* input1, const int16_t* input2, int16_t* output) {
  CombineQuantized<Combine::kSub>(p, input1, input2, output);
}

#endif  // TINYFLASH_AOT_REFERENCE_ADD_INT8_H_
