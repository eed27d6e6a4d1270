// DEPTHWISE_CONV_2D, int8 and 16x8: TFLM's reference kernel arithmetic, any geometry and depth multiplier.
#ifndef TINYFLASH_AOT_REFERENCE_DEPTHWISE_CONV_INT8_H_
#define TINYFLASH_AOT_REFERENCE_DEPTHWISE_CONV_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/window.h"

struct DepthwiseConvInt8Params {
  Window window;
  int32_t depth_multiplier;
  int32_t input_offset;  // -input zero point
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const int32_t* multiplier;  // per output channel
  const int32_t* shift;
};

// filter is [1][filter_height][filter_width][output_depth]; output channel c * depth_multiplier + m reads
// input channel c.
// int8, and 16x8 (int16 activations, int8 weights) accumulating in the bias type (int32 or int64), as TFLM.
template <typename In, typename Acc, typename Out>
inline void DepthwiseConvQuantized(const DepthwiseConvInt8Params& p, const In* input, const int8_t* filter,
                                   const Acc* bias, Out* output) {
  const Window& w = p.window;
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        Out* out = output + ((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth;
        for (int32_t in_c = 0; in_c < w.input_depth; ++in_c) {
          for (int32_t m = 0; m < p.depth_multiplier; ++m) {
            const int32_t out_c = in_c * p.depth_multiplier + m;
            Acc acc = 0;
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
                const int32_t in_value =
                    input[((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c];
                const int32_t f_value = filter[(f_y * w.filter_width + f_x) * w.output_depth + out_c];
                acc += f_value * (in_value + p.input_offset);
              }
            }
            if (bias != nullptr) {
              acc += bias[out_c];
            }
            const int32_t value = RescaleAccumulator(acc, p.multiplier[out_c], p.shift[out_c]) + p.output_offset;
            out[out_c] = static_cast<Out>(Clamp(value, p.activation_min, p.activation_max));
          }
        }
      }
    }
  }
}

inline void DepthwiseConvInt8(const DepthwiseConvInt8Params& p, const int8_t* input, const int8_t* filter,
                              const int32_t* bias, int8_t* output) {
  DepthwiseConvQuantized(p, input, filter, bias, output);
}

#endif  // TINYFLASH_AOT_REFERENCE_DEPTHWISE_CONV_INT8_H_
