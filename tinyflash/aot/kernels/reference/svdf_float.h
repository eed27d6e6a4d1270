// SVDF, float32: TFLM's reference kernel (EvalFloatSvdfReference), the same summation order and activation.
// The state (batches x filters x memory values, a variable tensor) is kept by the caller between invocations.
#ifndef TINYFLASH_AOT_REFERENCE_SVDF_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_SVDF_FLOAT_H_

#include <stdint.h>

#include "common/svdf.h"

struct SvdfFloatParams {
  SvdfShape shape;
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
  const SvdfShape& s = p.shape;
  SvdfShiftState(s, state);
  SvdfFeatureDots<float, float>(s, input, weights_feature, 0,
                                [&](int32_t b, int32_t f, float dot) { SvdfNewest(s, state, b, f) = dot; });
  SvdfTimeDots(s, weights_time, state, 0, scratch);
  SvdfRankSums(s, scratch, bias, [&](int32_t i, float total) { output[i] = SvdfActivation(p.activation, total); });
}

#endif  // TINYFLASH_AOT_REFERENCE_SVDF_FLOAT_H_
