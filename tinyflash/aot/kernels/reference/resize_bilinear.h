// RESIZE_BILINEAR as TFLM's reference kernels: each output value weighs the four input pixels around its position.
// The positions and weights per output row and column (TFLM's ComputeInterpolationValues and its Integer variant)
// are evaluated by the generator with TFLM's arithmetic; the device weighs.
#ifndef TINYFLASH_AOT_REFERENCE_RESIZE_BILINEAR_H_
#define TINYFLASH_AOT_REFERENCE_RESIZE_BILINEAR_H_

#include <stdint.h>

#include "common/resize.h"

// float32 (ResizeBilinear): weights are the position minus the top row (left column) and 1 minus that.
struct ResizeBilinearFloatParams {
  ResizeParams taps;
  const float* row_fractions;
  const float* column_fractions;
};

// int8 (ResizeBilinearInteger): weights of the bottom row (right column) in 1/1024ths; the other's is 1024 minus it.
struct ResizeBilinearInt8Params {
  ResizeParams taps;
  const int32_t* row_weights;
  const int32_t* column_weights;
};

// The products and sums in TFLM's order.
inline float Interpolate(float top_left, float bottom_left, float top_right, float bottom_right, float dy, float dx) {
  return top_left * (1 - dy) * (1 - dx) + bottom_left * dy * (1 - dx) + top_right * (1 - dy) * dx +
         bottom_right * dy * dx;
}

// The sum divided by 2^20, rounding half away from zero (TFLM's default double rounding). TFLM sums in int64;
// int32 cannot overflow: the two weights of an axis add up to 1024 and lie in [-512, 1536], so |sum| <= 2^29.
inline int8_t Interpolate(int8_t top_left, int8_t bottom_left, int8_t top_right, int8_t bottom_right, int32_t wy,
                          int32_t wx) {
  constexpr int32_t kOne = 1 << 10;
  const int32_t sum = top_left * (kOne - wy) * (kOne - wx) + bottom_left * wy * (kOne - wx) +
                      top_right * (kOne - wy) * wx + bottom_right * wy * wx;
  const int32_t round = sum > 0 ? (1 << 19) : -(1 << 19);
  return static_cast<int8_t>((sum + round) / (1 << 20));
}

template <typename T, typename W>
inline void ResizeBilinear(const ResizeParams& taps, const W* row_weights, const W* column_weights, const T* input,
                           T* output) {
  const ResizeShape& s = taps.shape;
  for (int32_t b = 0; b < s.batches; ++b) {
    const T* image = input + b * s.input_height * s.input_width * s.depth;
    for (int32_t y = 0; y < s.output_height; ++y) {
      const T* top = image + taps.rows[2 * y] * s.input_width * s.depth;
      const T* bottom = image + taps.rows[2 * y + 1] * s.input_width * s.depth;
      for (int32_t x = 0; x < s.output_width; ++x) {
        const int32_t left = taps.columns[2 * x] * s.depth;
        const int32_t right = taps.columns[2 * x + 1] * s.depth;
        for (int32_t c = 0; c < s.depth; ++c) {
          *output++ = Interpolate(top[left + c], bottom[left + c], top[right + c], bottom[right + c], row_weights[y],
                                  column_weights[x]);
        }
      }
    }
  }
}

inline void ResizeBilinearFloat(const ResizeBilinearFloatParams& p, const float* input, float* output) {
  ResizeBilinear(p.taps, p.row_fractions, p.column_fractions, input, output);
}

inline void ResizeBilinearInt8(const ResizeBilinearInt8Params& p, const int8_t* input, int8_t* output) {
  ResizeBilinear(p.taps, p.row_weights, p.column_weights, input, output);
}

#endif  // TINYFLASH_AOT_REFERENCE_RESIZE_BILINEAR_H_
