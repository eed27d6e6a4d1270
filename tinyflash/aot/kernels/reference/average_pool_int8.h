// AVERAGE_POOL_2D, int8 and int16: the average rounded half away from zero, as TFLM's integer reference kernel.
#ifndef TINYFLASH_AOT_REFERENCE_AVERAGE_POOL_INT8_H_
#define TINYFLASH_AOT_REFERENCE_AVERAGE_POOL_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/pool.h"

// T: int8 or int16, as TFLM's two integer kernels.
template <typename T>
inline void AveragePoolQuantized(const PoolInt8Params& p, const T* input, T* output) {
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
          int32_t acc = 0;
          int32_t count = 0;
          for (int32_t f_y = y_start; f_y < y_end; ++f_y) {
            for (int32_t f_x = x_start; f_x < x_end; ++f_x) {
              acc +=
                  input[((b * w.input_height + in_y_origin + f_y) * w.input_width + in_x_origin + f_x) * w.input_depth +
                        c];
              ++count;
            }
          }
          if (count == 0) {
            continue;
          }
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          output[((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth + c] =
              static_cast<T>(Clamp(acc, p.activation_min, p.activation_max));
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_AVERAGE_POOL_INT8_H_
