// gemmlowp-style fixed-point math on raw int32 values (SOFTMAX, LOGISTIC, TANH, DIV, RSQRT, L2_NORMALIZATION). A "Qn"
// value has n integer bits and 31 - n fractional bits; comments give the format of each quantity.
#ifndef TINYFLASH_AOT_COMMON_FIXEDPOINT_MATH_H_
#define TINYFLASH_AOT_COMMON_FIXEDPOINT_MATH_H_

#include <stdint.h>

#include "common/fixedpoint.h"

inline int32_t SaturatingShiftLeft(int32_t x, int exponent) {
  const int32_t threshold = static_cast<int32_t>((INT64_C(1) << (31 - exponent)) - 1);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return ShiftLeftWrapping(x, exponent);
}

// Changes the number of integer bits of a value from `from` to `to`.
inline int32_t Rescale(int32_t x, int from, int to) {
  return from > to ? SaturatingShiftLeft(x, from - to) : RoundingDivideByPOT(x, to - from);
}

inline int32_t RoundingHalfSum(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + static_cast<int64_t>(b);
  return static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// exp(a) for a (Q0) in [-1/4, 0): Taylor series around -1/8.
inline int32_t ExpOnIntervalNegativeQuarterToZero(int32_t a) {
  const int32_t kExpMinusOneEighth = 1895147668;  // exp(-1/8), Q0
  const int32_t kOneThird = 715827883;            // Q0
  const int32_t x = a + (1 << 28);                // a + 1/8
  const int32_t x2 = SaturatingRoundingDoublingHighMul(x, x);
  const int32_t x3 = SaturatingRoundingDoublingHighMul(x2, x);
  const int32_t x4 = SaturatingRoundingDoublingHighMul(x2, x2);
  const int32_t x4_over_4 = RoundingDivideByPOT(x4, 2);
  const int32_t poly = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x4_over_4 + x3, kOneThird) + x2, 1);
  return kExpMinusOneEighth + SaturatingRoundingDoublingHighMul(kExpMinusOneEighth, x + poly);
}

// exp(a) for a <= 0 given with `integer_bits` integer bits; the result is Q0.
inline int32_t ExpOnNegativeValues(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = INT32_C(1) << (fractional_bits - 2);
  const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = ExpOnIntervalNegativeQuarterToZero(Rescale(a_mod_quarter_minus_quarter, integer_bits, 0));
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  // exp(-2^k) for k = -2..4, Q0: multiply in one factor per set bit of the remainder.
  static const int32_t kExpOfMinusPowerOfTwo[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = -2; k <= 4; ++k) {
    if (integer_bits > k && (remainder & (INT32_C(1) << (fractional_bits + k))) != 0) {
      result = SaturatingRoundingDoublingHighMul(result, kExpOfMinusPowerOfTwo[k + 2]);
    }
  }
  if (integer_bits > 5 && a < -(INT32_C(1) << (36 - integer_bits))) {
    result = 0;  // exp(x) for x < -32 rounds to zero
  }
  return a == 0 ? INT32_MAX : result;
}

// Newton-Raphson reciprocal of (1 + a) / 2 for a (Q0) in [0, 1); the estimate is Q2.
inline int32_t NewtonReciprocalHalfDenominator(int32_t half_denominator) {
  const int32_t kFortyEightOverSeventeen = 1515870810;       // Q2
  const int32_t kMinusThirtyTwoOverSeventeen = -1010580540;  // Q2
  const int32_t kOneQ2 = INT32_C(1) << 29;
  int32_t x =
      kFortyEightOverSeventeen + SaturatingRoundingDoublingHighMul(half_denominator, kMinusThirtyTwoOverSeventeen);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = SaturatingRoundingDoublingHighMul(half_denominator, x);
    const int32_t one_minus = kOneQ2 - half_denominator_times_x;
    x = x + Rescale(SaturatingRoundingDoublingHighMul(x, one_minus), 4, 2);
  }
  return x;
}

// 1 / (1 + a) for a (Q0) in [0, 1); result Q0.
inline int32_t OneOverOnePlusX(int32_t a) {
  const int32_t x = NewtonReciprocalHalfDenominator(RoundingHalfSum(a, INT32_MAX));
  return Rescale(x, 1, 0);  // x / 2, from Q1 to Q0
}

inline int CountLeadingZeros32(uint32_t x) {
  int n = 0;
  for (uint32_t bit = UINT32_C(1) << 31; bit != 0 && (x & bit) == 0; bit >>= 1) ++n;
  return n;
}

// Redundant sign bits: how far x can shift left without overflow (31 for 0).
inline int CountLeadingSignBits32(int32_t x) {
  if (x >= 0) return CountLeadingZeros32(static_cast<uint32_t>(x)) - 1;
  return x == INT32_MIN ? 0 : CountLeadingZeros32(2 * static_cast<uint32_t>(-x) - 1);
}

// 1 / sqrt(input) as a Q0 multiplier and a shift (TFLM's GetInvSqrtQuantizedMultiplierExp with kReverseShift):
// the input normalized into [2^27, 2^29) by bit pairs, then five Newton-Raphson steps in Q3 from 1.
inline void InvSqrtMultiplier(int32_t input, int32_t* multiplier, int* shift) {
  if (input <= 1) {  // 0 is taken as 1, as TFLM does
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  int right_shift = 11;
  while (input >= (INT32_C(1) << 29)) {
    input /= 4;
    ++right_shift;
  }
  const int bit_pairs = (CountLeadingZeros32(static_cast<uint32_t>(input)) - 1) / 2 - 1;
  right_shift -= bit_pairs;
  input <<= 2 * bit_pairs;
  const int32_t half_input = RoundingDivideByPOT(input >> 1, 1);       // Q3
  const int32_t kHalfThree = (INT32_C(1) << 28) + (INT32_C(1) << 27);  // 1.5 in Q3
  int32_t x = INT32_C(1) << 28;                                        // 1.0 in Q3
  for (int i = 0; i < 5; ++i) {
    const int32_t cube = SaturatingShiftLeft(
        SaturatingRoundingDoublingHighMul(SaturatingRoundingDoublingHighMul(x, x), x), 6);  // Q9 -> Q3
    const uint32_t difference = static_cast<uint32_t>(SaturatingRoundingDoublingHighMul(kHalfThree, x)) -
                                static_cast<uint32_t>(SaturatingRoundingDoublingHighMul(half_input, cube));
    x = SaturatingShiftLeft(static_cast<int32_t>(difference), 3);  // Q6 -> Q3
  }
  x = SaturatingRoundingDoublingHighMul(x, 1518500250);  // times sqrt(2) / 2 (Q0)
  if (right_shift < 0) {
    x = ShiftLeftWrapping(x, -right_shift);
    right_shift = 0;
  }
  *multiplier = x;
  *shift = -right_shift;
}

#endif  // TINYFLASH_AOT_COMMON_FIXEDPOINT_MATH_H_
