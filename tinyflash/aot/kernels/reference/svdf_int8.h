// SVDF, int8 input and output with an int16 (or int8) state and time weights: TFLM's reference kernel
// (EvalIntegerSvdfReference<T>). As there, the fused activation is not applied: the output is only clamped to int8.
// The state (batches x filters x memory values, a variable tensor) is kept by the caller between invocations.
#ifndef TINYFLASH_AOT_REFERENCE_SVDF_INT8_H_
#define TINYFLASH_AOT_REFERENCE_SVDF_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/svdf.h"

struct SvdfInt8Params {
  SvdfShape shape;
  int32_t input_zero_point;
  int32_t state_zero_point;
  int32_t output_zero_point;
  int32_t feature_multiplier;  // input scale x feature weights scale / state scale
  int32_t feature_shift;
  int32_t output_multiplier;  // state scale x time weights scale / output scale
  int32_t output_shift;
};

// State: int16_t or int8_t, the type of the state tensor and the time weights. scratch: batches x filters int32s.
template <typename State>
void SvdfInt8(const SvdfInt8Params& p, const int8_t* input, const int8_t* weights_feature, const State* weights_time,
              const int32_t* bias, State* state, int32_t* scratch, int8_t* output) {
  const SvdfShape& s = p.shape;
  SvdfShiftState(s, state);
  SvdfFeatureDots<int8_t, int32_t>(
      s, input, weights_feature, p.input_zero_point, [&](int32_t b, int32_t f, int32_t dot) {
        dot = Clamp(MultiplyByQuantizedMultiplier(dot, p.feature_multiplier, p.feature_shift), IntRange<State>::kMin,
                    IntRange<State>::kMax);
        SvdfNewest(s, state, b, f) = static_cast<State>(p.state_zero_point + dot);
      });
  SvdfTimeDots(s, weights_time, state, p.state_zero_point, scratch);
  SvdfRankSums(s, scratch, bias, [&](int32_t i, int32_t total) {
    const int32_t scaled = MultiplyByQuantizedMultiplier(total, p.output_multiplier, p.output_shift);
    output[i] = static_cast<int8_t>(Clamp(scaled + p.output_zero_point, -128, 127));
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_SVDF_INT8_H_
