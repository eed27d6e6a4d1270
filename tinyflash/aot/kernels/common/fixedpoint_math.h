// gemmlowp-style fixed-point math on raw int32 values (SOFTMAX, LOG_SOFTMAX, LOGISTIC, TANH, DIV, RSQRT,
// L2_NORMALIZATION). A "Qn"
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

// gemmlowp's SaturatingRoundingMultiplyByPOT with a run-time exponent: a saturating left shift or a rounding right
// shift.
inline int32_t MultiplyByPowerOfTwo(int32_t x, int exponent) {
  return exponent >= 0 ? SaturatingShiftLeft(x, exponent) : RoundingDivideByPOT(x, -exponent);
}

inline int32_t SaturatingAdd(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + b;
  return static_cast<int32_t>(sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : sum));
}

inline int32_t WrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// log(x) for x >= 1 in Q(input_bits), the result in Q(output_bits): TFLM's log_x_for_x_greater_than_or_equal_to_1
// (x = 2^z * r, r in [sqrt(1/2), sqrt(2)), log r by a rational approximation around sqrt(sqrt(1/2))).
inline int32_t LogOfAtLeastOne(int32_t x, int input_bits, int output_bits) {
  const int accum_bits = output_bits + 1;  // headroom for z * log(2) saturating
  const int32_t kLog2 = 1488522236;        // Q0 constants
  const int32_t kSqrtSqrtHalf = 1805811301;
  const int32_t kSqrtHalf = 1518500250;
  const int32_t kAlphaN = 117049297;
  const int32_t kAlphaD = 127690142;
  const int32_t kAlphaI = 1057819769;
  const int32_t kAlphaF = 638450708;
  const int32_t shifted_quarter = Rescale(536870912, 0, accum_bits);  // 1/4
  const int z_a_headroom_plus_1 = CountLeadingZeros32(static_cast<uint32_t>(x));
  const int32_t r_a_tmp = MultiplyByPowerOfTwo(x, z_a_headroom_plus_1 - 1);
  const int32_t r_a = MultiplyByPowerOfTwo(SaturatingRoundingDoublingHighMul(r_a_tmp, kSqrtHalf), 1);
  const int32_t z_a_pow_2_adj =
      SaturatingAdd(MultiplyByPowerOfTwo(input_bits - z_a_headroom_plus_1, 31 - accum_bits), shifted_quarter);
  const int32_t z_b = SaturatingRoundingDoublingHighMul(x, kSqrtHalf);
  const int z_b_headroom = CountLeadingZeros32(static_cast<uint32_t>(z_b)) - 1;
  const int32_t r_b = MultiplyByPowerOfTwo(x, z_b_headroom);
  const int32_t z_b_pow_2_adj =
      SaturatingAdd(MultiplyByPowerOfTwo(input_bits - z_b_headroom, 31 - accum_bits), -shifted_quarter);
  const int32_t r = r_a < r_b ? r_a : r_b;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
  const int32_t p = RoundingHalfSum(r, kSqrtSqrtHalf);
  const int32_t q_half = WrappingAdd(r, -kSqrtSqrtHalf);
  const int32_t q = WrappingAdd(q_half, q_half);
  const int32_t common_sq = SaturatingRoundingDoublingHighMul(q, q);
  const int32_t num =
      WrappingAdd(SaturatingRoundingDoublingHighMul(q, r),
                  SaturatingRoundingDoublingHighMul(SaturatingRoundingDoublingHighMul(q, common_sq), kAlphaN));
  const int32_t denom_sum = WrappingAdd(WrappingAdd(kAlphaI, q), SaturatingRoundingDoublingHighMul(kAlphaD, common_sq));
  const int32_t denom_minus_one =
      WrappingAdd(SaturatingRoundingDoublingHighMul(p, denom_sum), SaturatingRoundingDoublingHighMul(kAlphaF, q));
  const int32_t recip_denom = OneOverOnePlusX(denom_minus_one);
  const int32_t num_scaled = Rescale(num, 0, accum_bits);
  const int32_t sum = WrappingAdd(SaturatingRoundingDoublingHighMul(z_pow_2_adj, kLog2),
                                  SaturatingRoundingDoublingHighMul(num_scaled, recip_denom));
  return Rescale(sum, accum_bits, output_bits);
}

#endif  // TINYFLASH_AOT_COMMON_FIXEDPOINT_MATH_H_
