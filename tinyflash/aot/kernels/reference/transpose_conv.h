// TRANSPOSE_CONV as TFLM's reference kernels: every input value is scattered into the outputs its filter taps
// reach (the loops in TFLM's order, so float sums add up in the same order), then the bias, requantization (int8)
// and the fused activation are applied per output value. `window` describes the transposed convolution: its input
// is the op's input, its output the op's output, the filter is [output depth][height][width][input depth].
#ifndef TINYFLASH_AOT_REFERENCE_TRANSPOSE_CONV_H_
#define TINYFLASH_AOT_REFERENCE_TRANSPOSE_CONV_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/window.h"

struct TransposeConvFloatParams {
  Window window;
  float activation_min;
  float activation_max;
};

// int8: per-channel multipliers. TFLM adds no filter offset (the generator refuses a filter zero point).
struct TransposeConvInt8Params {
  Window window;
  int32_t input_offset;   // -input zero point
  int32_t output_offset;  // output zero point
  int32_t activation_min;
  int32_t activation_max;
  const int32_t* multiplier;  // per output channel
  const int32_t* shift;
};

// Zeroes `acc` (one value per output element) and adds term(input value, filter value) for every tap.
template <typename T, typename Acc, typename Term>
inline void TransposeConvScatter(const Window& w, const T* input, const T* filter, Acc* acc, Term term) {
  const int32_t count = w.batches * w.output_height * w.output_width * w.output_depth;
  for (int32_t i = 0; i < count; ++i) {
    acc[i] = 0;
  }
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t in_y = 0; in_y < w.input_height; ++in_y) {
      for (int32_t in_x = 0; in_x < w.input_width; ++in_x) {
        for (int32_t in_c = 0; in_c < w.input_depth; ++in_c) {
          const T value = input[((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c];
          for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
            const int32_t out_y = in_y * w.stride_height - w.pad_height + f_y;
            for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
              const int32_t out_x = in_x * w.stride_width - w.pad_width + f_x;
              if (out_y < 0 || out_y >= w.output_height || out_x < 0 || out_x >= w.output_width) {
                continue;
              }
              Acc* out = acc + ((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth;
              const T* taps = filter + (f_y * w.filter_width + f_x) * w.input_depth + in_c;
              const int32_t filter_stride = w.filter_height * w.filter_width * w.input_depth;
              for (int32_t out_c = 0; out_c < w.output_depth; ++out_c) {
                out[out_c] += term(value, taps[out_c * filter_stride]);
              }
            }
          }
        }
      }
    }
  }
}

inline void TransposeConvFloat(const TransposeConvFloatParams& p, const float* input, const float* filter,
                               const float* bias, float* output) {
  const Window& w = p.window;
  TransposeConvScatter(w, input, filter, output, [](float x, float f) { return x * f; });
  const int32_t pixels = w.batches * w.output_height * w.output_width;
  for (int32_t i = 0; i < pixels; ++i) {
    for (int32_t c = 0; c < w.output_depth; ++c) {
      float& out = output[i * w.output_depth + c];
      out = ClampFloat(bias != nullptr ? out + bias[c] : out, p.activation_min, p.activation_max);
    }
  }
}

// `scratch`: one int32 per output element.
inline void TransposeConvInt8(const TransposeConvInt8Params& p, const int8_t* input, const int8_t* filter,
                              const int32_t* bias, int32_t* scratch, int8_t* output) {
  const Window& w = p.window;
  TransposeConvScatter(w, input, filter, scratch, [&](int8_t x, int8_t f) { return (x + p.input_offset) * f; });
  const int32_t pixels = w.batches * w.output_height * w.output_width;
  for (int32_t i = 0; i < pixels; ++i) {
    for (int32_t c = 0; c < w.output_depth; ++c) {
      int32_t acc = scratch[i * w.output_depth + c];
      if (bias != nullptr) {
        acc += bias[c];
      }
      acc = MultiplyByQuantizedMultiplier(acc, p.multiplier[c], p.shift[c]) + p.output_offset;
      output[i * w.output_depth + c] = static_cast<int8_t>(Clamp(acc, p.activation_min, p.activation_max));
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_TRANSPOSE_CONV_H_
