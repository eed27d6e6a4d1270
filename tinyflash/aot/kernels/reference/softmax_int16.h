// SOFTMAX, int16 (TFLM's SoftmaxInt16): differences to the row maximum rescaled onto [-10, 0] and exponentiated by a
// 513-entry table with linear interpolation; the sum's reciprocal by a second table of 1 / (1 + x). Both tables are
// TFLM's LUTPopulate results, computed at generation time. Input and output zero points 0, output scale 1/32768.
#ifndef TINYFLASH_AOT_REFERENCE_SOFTMAX_INT16_H_
#define TINYFLASH_AOT_REFERENCE_SOFTMAX_INT16_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct SoftmaxInt16Params {
  int32_t rows;
  int32_t depth;
  int32_t input_multiplier;
  int32_t input_shift;
  const int16_t* exp_table;
  const int16_t* one_over_one_plus_x_table;
};

// The table's value at `value`: the upper 9 bits pick an entry, the lower 7 interpolate towards the next one.
inline int16_t LookupInterpolated(int16_t value, const int16_t* table) {
  const uint16_t index = static_cast<uint16_t>(256 + (value >> 7));
  const int16_t offset = value & 0x7f;
  const int16_t base = table[index];
  const int16_t slope = table[index + 1] - table[index];
  return static_cast<int16_t>(base + ((slope * offset + 64) >> 7));
}

inline void SoftmaxInt16(const SoftmaxInt16Params& p, const int16_t* input, int16_t* output) {
  for (int32_t r = 0; r < p.rows; ++r) {
    const int16_t* in = input + r * p.depth;
    int16_t* out = output + r * p.depth;  // holds the exponentials (Q0.15) until the last loop, as in TFLM
    int32_t max_in_row = INT16_MIN;
    for (int32_t c = 0; c < p.depth; ++c) {
      max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
    }
    int32_t sum_of_exps = 0;
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t scaled = MultiplyByQuantizedMultiplier(in[c] - max_in_row, p.input_multiplier, p.input_shift);
      out[c] = LookupInterpolated(static_cast<int16_t>(Clamp(scaled + 32767, INT16_MIN, INT16_MAX)), p.exp_table);
      sum_of_exps += out[c];
    }
    const int headroom_plus_one = __builtin_clz(static_cast<uint32_t>(sum_of_exps));
    const int32_t shifted_sum =
        static_cast<int32_t>(((static_cast<int64_t>(sum_of_exps) << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int16_t sum_minus_one =
        static_cast<int16_t>(Clamp(shifted_sum - ((1 << 15) + (1 << 16)), INT16_MIN, INT16_MAX));
    const int64_t reciprocal = LookupInterpolated(sum_minus_one, p.one_over_one_plus_x_table);
    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = INT64_C(1) << (right_shift - 1);
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t result = static_cast<int32_t>((out[c] * reciprocal + round) >> right_shift);
      out[c] = static_cast<int16_t>(Clamp(result, 0, INT16_MAX));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_SOFTMAX_INT16_H_
