// SOFTMAX and LOG_SOFTMAX, int8 input (gemmlowp fixed point, as TFLM). Differences to the row maximum are rescaled
// into Q5 and exponentiated in fixed point; the sum of exponentials is Q12. SOFTMAX's output is int8 (scale 1/256,
// zero point -128) or int16 (1/65536, -32768); LOG_SOFTMAX's int8, 16/256, 127.
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

// LOG_SOFTMAX: SOFTMAX's rescaling (beta 1) and its inverse, which moves the cut-off by the log of the sum.
struct LogSoftmaxInt8Params {
  SoftmaxInt8Params softmax;
  int32_t reverse_scaling_divisor;
  int32_t reverse_scaling_right_shift;
};

inline int32_t RowMaxInt8(const int8_t* in, int32_t depth) {
  int32_t max_in_row = INT8_MIN;
  for (int32_t c = 0; c < depth; ++c) {
    max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
  }
  return max_in_row;
}

// A difference to the row maximum in Q5.
inline int32_t ScaledDiff(const SoftmaxInt8Params& p, int32_t diff) {
  return SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(diff, p.input_left_shift), p.input_multiplier);
}

// The sum of exp(difference) over the differences at or above diff_min, Q12.
inline int32_t SumOfExps(const SoftmaxInt8Params& p, const int8_t* in, int32_t max_in_row) {
  int32_t sum_of_exps = 0;
  for (int32_t c = 0; c < p.depth; ++c) {
    const int32_t diff = in[c] - max_in_row;
    if (diff >= p.diff_min) {
      sum_of_exps += RoundingDivideByPOT(ExpOnNegativeValues(ScaledDiff(p, diff), 5), 12);
    }
  }
  return sum_of_exps;
}

// Out: int8 (scale 1/256, zero point -128) or int16 (scale 1/65536, zero point -32768), as TFLM's Softmax template.
template <typename Out>
inline void SoftmaxInt8(const SoftmaxInt8Params& p, const int8_t* input, Out* output) {
  for (int32_t r = 0; r < p.rows; ++r) {
    const int8_t* in = input + r * p.depth;
    Out* out = output + r * p.depth;
    const int32_t max_in_row = RowMaxInt8(in, p.depth);
    const int32_t sum_of_exps = SumOfExps(p, in, max_in_row);
    // 1 / sum_of_exps as a Q0 significand and a power of two.
    const int headroom_plus_one = __builtin_clz(static_cast<uint32_t>(sum_of_exps));
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        static_cast<int32_t>((static_cast<uint32_t>(sum_of_exps) << headroom_plus_one) - (UINT32_C(1) << 31));
    const int32_t shifted_scale = OneOverOnePlusX(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - 8 * static_cast<int>(sizeof(Out));
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t exp_in_0 = ExpOnNegativeValues(ScaledDiff(p, diff), 5);
        const int32_t unsat = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted_scale, exp_in_0), exponent);
        out[c] = static_cast<Out>(Clamp(unsat + IntRange<Out>::kMin, IntRange<Out>::kMin, IntRange<Out>::kMax));
      } else {
        out[c] = static_cast<Out>(IntRange<Out>::kMin);
      }
    }
  }
}

// TFLM's LogSoftmaxQuantized: (diff - log of the sum, in Q5) onto 16/256; differences at or below the adjusted
// cut-off give -128.
inline void LogSoftmaxInt8(const LogSoftmaxInt8Params& lp, const int8_t* input, int8_t* output) {
  const SoftmaxInt8Params& p = lp.softmax;
  for (int32_t r = 0; r < p.rows; ++r) {
    const int8_t* in = input + r * p.depth;
    const int32_t max_in_row = RowMaxInt8(in, p.depth);
    const int32_t log_sum_q5 = LogOfAtLeastOne(SumOfExps(p, in, max_in_row), 12, 5);
    const int32_t scaled_log_sum = MultiplyByQuantizedMultiplier(
        WrappingAdd(log_sum_q5, INT32_MIN), lp.reverse_scaling_divisor, -lp.reverse_scaling_right_shift);
    const int32_t cutoff = p.diff_min - 1 > scaled_log_sum ? p.diff_min - 1 : scaled_log_sum;
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      int32_t value = INT8_MIN;
      if (diff > cutoff) {  // > here, >= in the sum, as TFLM
        value = RoundingDivideByPOT(WrappingAdd(ScaledDiff(p, diff), -log_sum_q5), 31 - 5 - 4) + INT8_MAX;
      }
      output[r * p.depth + c] = static_cast<int8_t>(Clamp(value, INT8_MIN, INT8_MAX));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_SOFTMAX_INT8_H_
