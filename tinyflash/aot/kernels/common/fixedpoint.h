// Fixed-point primitives with TFLite's rounding, shared by every int8 kernel.
#ifndef TINYFLASH_AOT_COMMON_FIXEDPOINT_H_
#define TINYFLASH_AOT_COMMON_FIXEDPOINT_H_

#include <stdint.h>

inline int32_t Clamp(int32_t value, int32_t lo, int32_t hi) { return value < lo ? lo : (value > hi ? hi : value); }

// The range of an integer tensor type, for kernels templated over it (the generated file has no <limits>).
template <typename T>
struct IntRange;
template <>
struct IntRange<int8_t> {
  static constexpr int32_t kMin = INT8_MIN;
  static constexpr int32_t kMax = INT8_MAX;
};
template <>
struct IntRange<int16_t> {
  static constexpr int32_t kMin = INT16_MIN;
  static constexpr int32_t kMax = INT16_MAX;
};
template <>
struct IntRange<int32_t> {
  static constexpr int32_t kMin = INT32_MIN;
  static constexpr int32_t kMax = INT32_MAX;
};

// min(max(x, lo), hi) in the order TFLite evaluates it, so a NaN passes through as it does there.
inline float ClampFloat(float value, float lo, float hi) {
  const float low_clamped = value < lo ? lo : value;
  return hi < low_clamped ? hi : low_clamped;
}

// Round half away from zero in the doubling high multiply, as TFLite.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) {
    return INT32_MAX;
  }
  const int64_t product = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = product >= 0 ? (1 << 30) : (1 - (1 << 30));
  return static_cast<int32_t>((product + nudge) / (INT64_C(1) << 31));
}

// Round half away from zero in the shift.
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((INT64_C(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

inline int32_t ShiftLeftWrapping(int32_t x, int shift) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) << shift);
}

// x * multiplier * 2^shift / 2^31, as TFLite's MultiplyByQuantizedMultiplier (double rounding).
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(x, left_shift), multiplier),
                             right_shift);
}

// The int64 accumulator's rescaling (16x8 kernels with an int64 bias), as TFLite's int64 overload: the multiplier
// reduced to 16 bits, one rounding shift.
inline int32_t MultiplyByQuantizedMultiplier64(int64_t x, int32_t multiplier, int shift) {
  const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int total_shift = 15 - shift;
  return static_cast<int32_t>((x * reduced + (INT64_C(1) << (total_shift - 1))) >> total_shift);
}

// An accumulator rescaled by its type's form (TFLite picks the overload by the bias type).
inline int32_t RescaleAccumulator(int32_t acc, int32_t multiplier, int shift) {
  return MultiplyByQuantizedMultiplier(acc, multiplier, shift);
}
inline int32_t RescaleAccumulator(int64_t acc, int32_t multiplier, int shift) {
  return MultiplyByQuantizedMultiplier64(acc, multiplier, shift);
}

#endif  // TINYFLASH_AOT_COMMON_FIXEDPOINT_H_
