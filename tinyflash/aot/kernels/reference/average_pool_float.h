// AVERAGE_POOL_2D, float32: the sum divided by a float count, as TFLM's reference kernel.
#ifndef TINYFLASH_AOT_REFERENCE_AVERAGE_POOL_FLOAT_H_
#define TINYFLASH_AOT_REFERENCE_AVERAGE_POOL_FLOAT_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/pool.h"

inline void AveragePoolFloat(const PoolFloatParams& p, const float* input, float* output) {
  const Window& w = p.window;
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      int32_t y_start, y_end;
      PoolRange(in_y_origin, w.filter_height, w.input_height, &y_start, &y_end);
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        int32_t x_start, x_end;
        PoolRange(in_x_origin, w.filter_width, w.input_width, &x_start, &x_end);
        for (int32_t c = 0; c < w.output_depth; ++c) {
          float total = 0.0f;
          float count = 0.0f;
          for (int32_t f_y = y_start; f_y < y_end; ++f_y) {
            for (int32_t f_x = x_start; f_x < x_end; ++f_x) {
              total +=
                  input[((b * w.input_height + in_y_origin + f_y) * w.input_width + in_x_origin + f_x) * w.input_depth +
                        c];
              count += 1.0f;
            }
          }
          if (count == 0.0f) {
            continue;
          }
          output[((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth + c] =
              ClampFloat(total / count, p.activation_min, p.activation_max);
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_AVERAGE_POOL_FLOAT_H_
