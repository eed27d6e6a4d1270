// DIV, int8, as TFLM's DivElementwise: the divisor made positive (both signs flipped), its fixed-point reciprocal
// (GetReciprocal: gemmlowp's 1 / (1 + x) after normalizing), the dividend shifted into its headroom, multiplied,
// then one multiplier in1_scale / (in2_scale * out_scale) with the shifts summed. A zero divisor (the second input
// at its zero point) is undefined in TFLM; here it gives the saturated quotient's sign (see docs/aot.md).
#ifndef TINYFLASH_AOT_REFERENCE_DIV_INT8_H_
#define TINYFLASH_AOT_REFERENCE_DIV_INT8_H_

#include <stdint.h>

#include "common/broadcast.h"
#include "common/fixedpoint.h"
#include "common/fixedpoint_math.h"

inline int32_t DivideInt8(const BinaryInt8Params& p, int8_t a, int8_t b) {
  int32_t dividend = a + p.input1_offset;
  int32_t divisor = b + p.input2_offset;
  if (divisor == 0) {
    return dividend == 0 ? p.output_offset : (dividend > 0 ? p.activation_max : p.activation_min);
  }
  if (divisor < 0) {
    dividend = -dividend;
    divisor = -divisor;
  }
  const int headroom_plus_one = CountLeadingZeros32(static_cast<uint32_t>(divisor));
  const int reciprocal_shift = 31 - headroom_plus_one;
  const int32_t normalized_minus_one =
      static_cast<int32_t>((static_cast<uint32_t>(divisor) << headroom_plus_one) - (UINT32_C(1) << 31));
  const int32_t reciprocal = OneOverOnePlusX(normalized_minus_one);
  const int headroom = CountLeadingSignBits32(dividend);
  const int32_t quotient = SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(dividend, headroom), reciprocal);
  const int total_shift = p.shift - reciprocal_shift - headroom;  // <= 0: the generator checks the multiplier
  return p.output_offset + RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(quotient, p.multiplier), -total_shift);
}

inline void DivInt8(const BinaryInt8Params& p, const int8_t* input1, const int8_t* input2, int8_t* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [&](int8_t a, int8_t b) {
    return static_cast<int8_t>(Clamp(DivideInt8(p, a, b), p.activation_min, p.activation_max));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_DIV_INT8_H_
