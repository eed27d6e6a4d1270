// Requantization of the optimized int8 kernels: int32 accumulator -> int8 output, per output channel,
// bit-exact with TFLite's MultiplyByQuantizedMultiplier (double rounding) plus offset and clamp.
//
// Each channel has four int32 constants, computed at generation time: {bias, multiplier, shift, nudge}.
// `bias` already holds input_offset * sum(weights), so kernels accumulate raw int8 products. With
// `fast` (chosen by the generator only when it proved that no intermediate can overflow: |acc| < 2^30,
// a right shift e >= 1, and |x| + nudge < 2^31), `shift` is e and `nudge` is 2^(e-1) + output_offset * 2^e:
//   SaturatingRoundingDoublingHighMul(acc, m) == SMMULR(2 * acc, m)  (the rounded high word)
//   RoundingDivideByPOT(x, e) + offset == (x + nudge - (x < 0)) >> e
// Without `fast`, `shift` is TFLite's shift and the exact general code runs.
#ifndef TINYFLASH_AOT_DSP_REQUANTIZE_H_
#define TINYFLASH_AOT_DSP_REQUANTIZE_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "dsp/simd.h"

constexpr int kChannelQuantWords = 4;  // bias, multiplier, shift, nudge

struct OutputQuant {
  bool fast;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
};

// Inlined into kernels whose OutputQuant is a compile-time constant, so the branches fold away.
__attribute__((always_inline)) inline int8_t Requantize(const OutputQuant& Q, int32_t acc, const int32_t* channel) {
  int32_t value;
  if (Q.fast) {
    const int32_t x = Smmulr(acc * 2, channel[1]);
    value = (x + channel[3] + (x >> 31)) >> channel[2];
  } else {
    value = MultiplyByQuantizedMultiplier(acc, channel[1], channel[2]) + Q.output_offset;
  }
  if (Q.activation_min == INT8_MIN && Q.activation_max == INT8_MAX) {
    return static_cast<int8_t>(SaturateInt8(value));
  }
  return static_cast<int8_t>(Clamp(value, Q.activation_min, Q.activation_max));
}

#endif  // TINYFLASH_AOT_DSP_REQUANTIZE_H_
