// CONV_2D, float32: TFLM's reference kernel (same summation order).
#ifndef TINYFLASH_AOT_REFERENCE_CONV_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_CONV_FLOAT_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/window.h"

struct ConvFloatParams {
  Window window;
  int32_t filter_depth;  // input channels per group
  float activation_min;
  float activation_max;
};

inline void ConvFloat(const ConvFloatParams& p, const float* input, const float* filter, const float* bias,
                      float* output) {
  const Window& w = p.window;
  const int32_t filters_per_group = w.output_depth / (w.input_depth / p.filter_depth);
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        for (int32_t out_c = 0; out_c < w.output_depth; ++out_c) {
          const int32_t in_c_base = (out_c / filters_per_group) * p.filter_depth;
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
              const float* in =
                  input + ((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c_base;
              const float* f = filter + ((out_c * w.filter_height + f_y) * w.filter_width + f_x) * p.filter_depth;
              for (int32_t c = 0; c < p.filter_depth; ++c) {
                total += in[c] * f[c];
              }
            }
          }
          const float bias_value = bias != nullptr ? bias[out_c] : 0.0f;
          output[((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth + out_c] =
              ClampFloat(total + bias_value, p.activation_min, p.activation_max);
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_CONV_FLOAT_H_
