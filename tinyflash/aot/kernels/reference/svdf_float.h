// SVDF, float32: TFLM's reference kernel (EvalFloatSvdfReference), the same summation order and activation.
// The state (batches x filters x memory values, a variable tensor) is kept by the caller between invocations.
#ifndef TINYFLASH_AOT_REFERENCE_SVDF_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_SVDF_FLOAT_H_

#include <stdint.h>

struct SvdfFloatParams {
  int32_t batches;
  int32_t input_size;
  int32_t filters;
  int32_t units;
  int32_t rank;
  int32_t memory;
  int32_t activation;  // TFLite's fused activation code: 0 none, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6
};

// TFLM's ActivationValFloat: std::max/std::min in its argument order, so -0 and NaN come out as there.
inline float SvdfActivation(int32_t activation, float a) {
  switch (activation) {
    case 1:
      return 0.0f < a ? a : 0.0f;
    case 2: {
      const float low = 1.0f < a ? 1.0f : a;
      return -1.0f < low ? low : -1.0f;
    }
    case 3: {
      const float low = 6.0f < a ? 6.0f : a;
      return 0.0f < low ? low : 0.0f;
    }
    default:
      return a;
  }
}

// scratch: batches x filters floats.
inline void SvdfFloat(const SvdfFloatParams& p, const float* input, const float* weights_feature,
                      const float* weights_time, const float* bias, float* state, float* scratch, float* output) {
  // The state moves one value left; each filter's newest value is then written at its end.
  const int32_t state_size = p.batches * p.filters * p.memory;
  for (int32_t i = 0; i + 1 < state_size; ++i) {
    state[i] = state[i + 1];
  }
  for (int32_t b = 0; b < p.batches; ++b) {
    const float* weights = weights_feature;
    for (int32_t f = 0; f < p.filters; ++f) {
      const float* in = input + b * p.input_size;
      float dot = 0.0f;
      for (int32_t k = 0; k < p.input_size; ++k) {
        dot += *weights++ * *in++;
      }
      state[(b * p.filters + f) * p.memory + p.memory - 1] = dot;
    }
  }
  for (int32_t b = 0; b < p.batches; ++b) {
    const float* time = weights_time;
    const float* history = state + b * p.memory * p.filters;
    for (int32_t f = 0; f < p.filters; ++f) {
      float dot = 0.0f;
      for (int32_t m = 0; m < p.memory; ++m) {
        dot += *time++ * *history++;
      }
      scratch[b * p.filters + f] = dot;
    }
  }
  for (int32_t b = 0; b < p.batches; ++b) {
    const float* filtered = scratch + b * p.filters;
    for (int32_t u = 0; u < p.units; ++u) {
      float total = bias[u];
      for (int32_t r = 0; r < p.rank; ++r) {
        total += *filtered++;
      }
      output[b * p.units + u] = SvdfActivation(p.activation, total);
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_SVDF_FLOAT_H_
