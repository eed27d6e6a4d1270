// SOFTMAX, int8 (gemmlowp fixed point, as TFLM). Output scale 1/256, zero point -128. Differences to the
// row maximum are rescaled into Q5 and exponentiated in fixed point; the sum of exponentials is Q12.
#ifndef TINYFLASH_AOT_REFERENCE_SOFTMAX_INT8_H_
#define TINYFLASH_AOT_REFERENCE_SOFTMAX_INT8_H_

#include <stdint.h>

#include "common/fixedpoint_math.h"

struct SoftmaxInt8Params {
  int32_t rows;
  int32_t depth;
  int32_t input_multiplier;
  int32_t input_left_shift;
  int32_t diff_min;
};

inline void SoftmaxInt8(const SoftmaxInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t r = 0; r < p.rows; ++r) {
    const int8_t* in = input + r * p.depth;
    int8_t* out = output + r * p.depth;
    int32_t max_in_row = INT8_MIN;
    for (int32_t c = 0; c < p.depth; ++c) {
      max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
    }
    int32_t sum_of_exps = 0;  // Q12
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t scaled_diff = SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(diff, p.input_left_shift),
                                                                      p.input_multiplier);  // Q5
        sum_of_exps += RoundingDivideByPOT(ExpOnNegativeValues(scaled_diff, 5), 12);
      }
    }
    // 1 / sum_of_exps as a Q0 significand and a power of two.
    const int headroom_plus_one = __builtin_clz(static_cast<uint32_t>(sum_of_exps));
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        static_cast<int32_t>((static_cast<uint32_t>(sum_of_exps) << headroom_plus_one) - (UINT32_C(1) << 31));
    const int32_t shifted_scale = OneOverOnePlusX(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - 8;
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t scaled_diff =
            SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(diff, p.input_left_shift), p.input_multiplier);
        const int32_t exp_in_0 = ExpOnNegativeValues(scaled_diff, 5);
        const int32_t unsat = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted_scale, exp_in_0), exponent);
        out[c] = static_cast<int8_t>(Clamp(unsat - 128, INT8_MIN, INT8_MAX));
      } else {
        out[c] = INT8_MIN;
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_SOFTMAX_INT8_H_
