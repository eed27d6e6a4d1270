// The SVDF DSP kernel's short requantization paths (dsp/svdf_int8.h) against TFLM's MultiplyByQuantizedMultiplier
// where they differ most easily: at every rounding tie of both of TFLM's roundings near the int8 output range, over
// whole ranges of sums, and at the int32 limits. Prints the first mismatch and exits 1; prints "ok" otherwise.
#include <stdint.h>
#include <stdio.h>

#include "dsp/svdf_int8.h"

namespace {

constexpr SvdfShape kShape = {1, 1, 1, 1, 1, 1};

// Output path (output_fast): multipliers just above 2^30, ordinary and at the int32 limit; shifts 1 to 31.
constexpr SvdfInt8DspParams Output(int32_t multiplier, int32_t shift, int32_t zero_point) {
  return {kShape, 4, 0, zero_point, false, 0, 0, 0, 0, true, multiplier, -shift, nullptr, nullptr, nullptr, nullptr};
}
constexpr SvdfInt8DspParams kOut1 = Output((1 << 30) + 1, 1, 0);
constexpr SvdfInt8DspParams kOut2 = Output(1518500250, 5, -7);
constexpr SvdfInt8DspParams kOut3 = Output(1880000000, 14, 100);
constexpr SvdfInt8DspParams kOut4 = Output(INT32_MAX, 20, -128);
constexpr SvdfInt8DspParams kOut5 = Output(1300000000, 31, 3);

// Feature path with TFLM's left shift L (feature_left_shift L + 1), sums with |sum| * 2^L < 2^30.
constexpr SvdfInt8DspParams Feature(int32_t multiplier, int32_t left, int32_t zero_point) {
  return {kShape, 4, zero_point, 0, true, multiplier, left + 1, 0, 0, false, 0, 0, nullptr, nullptr, nullptr, nullptr};
}
constexpr SvdfInt8DspParams kFeature0 = Feature(1 << 30, 0, 0);
constexpr SvdfInt8DspParams kFeature1 = Feature(1717986918, 1, 5);
constexpr SvdfInt8DspParams kFeature7 = Feature(INT32_MAX, 7, -3);

int failures = 0;

template <const SvdfInt8DspParams& P>
void CheckOutput(int32_t total) {
  const int32_t scaled = MultiplyByQuantizedMultiplier(total, P.output_multiplier, P.output_shift);
  const int8_t expected = static_cast<int8_t>(Clamp(scaled + P.output_zero_point, INT8_MIN, INT8_MAX));
  const int8_t got = SvdfOutputValue<P>(total);
  if (got != expected && failures++ == 0) {
    printf("output: total %ld multiplier %ld shift %ld: %d, TFLM %d\n", static_cast<long>(total),
           static_cast<long>(P.output_multiplier), static_cast<long>(P.output_shift), got, expected);
  }
}

// Every sum whose first rounding lands on or next to a tie of the second, for outputs around the int8 range, and
// a stretch of consecutive sums and the int32 limits.
template <const SvdfInt8DspParams& P>
void Output() {
  const int32_t e = -P.output_shift;
  for (int64_t k = -300; k <= 300; ++k) {
    const int64_t tie = k * (INT64_C(1) << e) + (INT64_C(1) << (e - 1));  // y at a tie of the second rounding
    const int64_t x = static_cast<int64_t>(static_cast<double>(tie) * 2147483648.0 / P.output_multiplier);
    for (int64_t d = -3; d <= 3; ++d) {
      if (x + d >= INT32_MIN && x + d <= INT32_MAX) CheckOutput<P>(static_cast<int32_t>(x + d));
    }
  }
  for (int32_t x = -200000; x <= 200000; ++x) CheckOutput<P>(x);
  for (int32_t d = 0; d < 1000; ++d) {
    CheckOutput<P>(INT32_MIN + d);
    CheckOutput<P>(INT32_MAX - d);
  }
}

template <const SvdfInt8DspParams& P>
void Feature() {
  const int32_t limit = ((1 << 30) - 1) >> (P.feature_left_shift - 1);
  for (int32_t x = -limit; x <= limit; x += (x > -300000 && x < 300000) ? 1 : 997) {
    const int32_t scaled = MultiplyByQuantizedMultiplier(x, P.feature_multiplier, P.feature_left_shift - 1);
    const int16_t expected = static_cast<int16_t>(P.state_zero_point + Clamp(scaled, INT16_MIN, INT16_MAX));
    const int16_t got = SvdfStateValue<P>(x);
    if (got != expected && failures++ == 0) {
      printf("feature: sum %ld left shift %ld: %d, TFLM %d\n", static_cast<long>(x),
             static_cast<long>(P.feature_left_shift - 1), got, expected);
    }
  }
}

}  // namespace

int main() {
  Output<kOut1>();
  Output<kOut2>();
  Output<kOut3>();
  Output<kOut4>();
  Output<kOut5>();
  Feature<kFeature0>();
  Feature<kFeature1>();
  Feature<kFeature7>();
  if (failures) {
    printf("%d mismatches\n", failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}
