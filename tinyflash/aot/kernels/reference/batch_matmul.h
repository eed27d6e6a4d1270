// BATCH_MATMUL as TFLM's reference kernels: output[b][i][j] = sum over k of lhs[b][i][k] * rhs[b][k][j], k in
// ascending order. adj_x / adj_y and broadcast batch dimensions are strides (0 along a broadcast dimension), so
// nothing is transposed in memory as TFLM does; the sums are the same.
#ifndef TINYFLASH_AOT_REFERENCE_BATCH_MATMUL_H_
#define TINYFLASH_AOT_REFERENCE_BATCH_MATMUL_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct BatchMatMulParams {
  int32_t batches[3];  // the output's batch dimensions
  int32_t lhs_batch_strides[3];
  int32_t rhs_batch_strides[3];
  int32_t rows;
  int32_t columns;
  int32_t depth;
  int32_t lhs_row_stride;
  int32_t lhs_depth_stride;
  int32_t rhs_depth_stride;
  int32_t rhs_column_stride;
};

// int8: TFLM's offsets (minus the zero points), one multiplier, no fused activation.
struct BatchMatMulInt8Params {
  BatchMatMulParams shape;
  int32_t lhs_offset;
  int32_t rhs_offset;
  int32_t output_offset;
  int32_t multiplier;
  int32_t shift;
};

template <typename Acc, typename T, typename Out, typename Term, typename Finish>
inline void BatchMatMul(const BatchMatMulParams& p, const T* lhs, const T* rhs, Out* output, Term term, Finish finish) {
  for (int32_t b0 = 0; b0 < p.batches[0]; ++b0) {
    for (int32_t b1 = 0; b1 < p.batches[1]; ++b1) {
      for (int32_t b2 = 0; b2 < p.batches[2]; ++b2) {
        const T* l = lhs + b0 * p.lhs_batch_strides[0] + b1 * p.lhs_batch_strides[1] + b2 * p.lhs_batch_strides[2];
        const T* r = rhs + b0 * p.rhs_batch_strides[0] + b1 * p.rhs_batch_strides[1] + b2 * p.rhs_batch_strides[2];
        for (int32_t i = 0; i < p.rows; ++i) {
          for (int32_t j = 0; j < p.columns; ++j) {
            Acc total = 0;
            for (int32_t k = 0; k < p.depth; ++k) {
              total += term(l[i * p.lhs_row_stride + k * p.lhs_depth_stride],
                            r[k * p.rhs_depth_stride + j * p.rhs_column_stride]);
            }
            *output++ = finish(total);
          }
        }
      }
    }
  }
}

inline void BatchMatMulFloat(const BatchMatMulParams& p, const float* lhs, const float* rhs, float* output) {
  BatchMatMul<float>(p, lhs, rhs, output, [](float a, float b) { return b * a; }, [](float total) { return total; });
}

inline void BatchMatMulInt8(const BatchMatMulInt8Params& p, const int8_t* lhs, const int8_t* rhs, int8_t* output) {
  BatchMatMul<int32_t>(
      p.shape, lhs, rhs, output, [&](int8_t a, int8_t b) { return (b + p.rhs_offset) * (a + p.lhs_offset); },
      [&](int32_t total) {
        const int32_t scaled = MultiplyByQuantizedMultiplier(total, p.multiplier, p.shift) + p.output_offset;
        return static_cast<int8_t>(Clamp(scaled, INT8_MIN, INT8_MAX));
      });
}

#endif  // TINYFLASH_AOT_REFERENCE_BATCH_MATMUL_H_
