// SVDF, int8 input and output with an int16 (or int8) state and time weights: TFLM's reference kernel
// (EvalIntegerSvdfReference<T>). As there, the fused activation is not applied: the output is only clamped to int8.
// The state (batches x filters x memory values, a variable tensor) is kept by the caller between invocations.
#ifndef TINYFLASH_AOT_REFERENCE_SVDF_INT8_H_
#define TINYFLASH_AOT_REFERENCE_SVDF_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct SvdfInt8Params {
  int32_t batches;
  int32_t input_size;
  int32_t filters;
  int32_t units;
  int32_t rank;
  int32_t memory;
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
  const int32_t state_size = p.batches * p.filters * p.memory;
  for (int32_t i = 0; i + 1 < state_size; ++i) {
    state[i] = state[i + 1];
  }
  const int32_t state_min = sizeof(State) == 2 ? -32768 : -128;
  const int32_t state_max = -state_min - 1;
  for (int32_t b = 0; b < p.batches; ++b) {
    const int8_t* weights = weights_feature;
    for (int32_t f = 0; f < p.filters; ++f) {
      const int8_t* in = input + b * p.input_size;
      int32_t dot = 0;
      for (int32_t k = 0; k < p.input_size; ++k) {
        dot += *weights++ * (*in++ - p.input_zero_point);
      }
      dot = Clamp(MultiplyByQuantizedMultiplier(dot, p.feature_multiplier, p.feature_shift), state_min, state_max);
      state[(b * p.filters + f) * p.memory + p.memory - 1] = static_cast<State>(p.state_zero_point + dot);
    }
  }
  for (int32_t b = 0; b < p.batches; ++b) {
    const State* time = weights_time;
    const State* history = state + b * p.memory * p.filters;
    for (int32_t f = 0; f < p.filters; ++f) {
      int32_t dot = 0;
      for (int32_t m = 0; m < p.memory; ++m) {
        dot += *time++ * (*history++ - p.state_zero_point);
      }
      scratch[b * p.filters + f] = dot;
    }
  }
  for (int32_t b = 0; b < p.batches; ++b) {
    const int32_t* row = scratch + b * p.filters;
    for (int32_t u = 0; u < p.units; ++u) {
      int32_t total = bias[u];
      for (int32_t r = 0; r < p.rank; ++r) {
        total += *row++;
      }
      const int32_t scaled = MultiplyByQuantizedMultiplier(total, p.output_multiplier, p.output_shift);
      output[b * p.units + u] = static_cast<int8_t>(Clamp(scaled + p.output_zero_point, -128, 127));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_SVDF_INT8_H_
