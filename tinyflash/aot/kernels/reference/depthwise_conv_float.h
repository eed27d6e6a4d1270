// DEPTHWISE_CONV_2D, float32: TFLM's reference kernel (same summation order).
#ifndef TINYFLASH_AOT_REFERENCE_DEPTHWISE_CONV_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_DEPTHWISE_CONV_FLOAT_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/window.h"

struct DepthwiseConvFloatParams {
  Window window;
  int32_t depth_multiplier;
  float activation_min;
  float activation_max;
};

inline void DepthwiseConvFloat(const DepthwiseConvFloatParams& p, const float* input, const float* filter,
                               const float* bias, float* output) {
  const Window& w = p.window;
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        float* out = output + ((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth;
        for (int32_t in_c = 0; in_c < w.input_depth; ++in_c) {
          for (int32_t m = 0; m < p.depth_multiplier; ++m) {
            const int32_t out_c = in_c * p.depth_multiplier + m;
            float total = 0.0f;
            for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
              const int32_t in_y = in_y_origin + w.dilation_height * f_y;
              if (in_y < 0 || in_y >= w.input_height) {
                continue;
              }
              for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
                const int32_t in_x = in_x_origin + w.dilation_width * f_x;
                if (in_x < 0 || in_x >= w.input_width) {
                  continue;
                }
                total += input[((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c] *
                         filter[(f_y * w.filter_width + f_x) * w.output_depth + out_c];
              }
            }
            const float bias_value = bias != nullptr ? bias[out_c] : 0.0f;
            out[out_c] = ClampFloat(total + bias_value, p.activation_min, p.activation_max);
          }
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_DEPTHWISE_CONV_FLOAT_H_
