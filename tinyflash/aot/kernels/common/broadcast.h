// Elementwise binary ops over up to 4 dimensions; an input's stride is 0 along a broadcast dimension.
#ifndef TINYFLASH_AOT_COMMON_BROADCAST_H_
#define TINYFLASH_AOT_COMMON_BROADCAST_H_

#include <stdint.h>

struct Broadcast {
  int32_t shape[4];
  int32_t stride1[4];
  int32_t stride2[4];
};

// `broadcast` is null when both inputs have the output's shape.
template <typename T, typename Op>
inline void BinaryOp(const Broadcast* broadcast, int32_t count, const T* input1, const T* input2, T* output, Op op) {
  if (broadcast == nullptr) {
    for (int32_t i = 0; i < count; ++i) {
      output[i] = op(input1[i], input2[i]);
    }
    return;
  }
  const Broadcast& s = *broadcast;
  for (int32_t i0 = 0; i0 < s.shape[0]; ++i0) {
    for (int32_t i1 = 0; i1 < s.shape[1]; ++i1) {
      for (int32_t i2 = 0; i2 < s.shape[2]; ++i2) {
        const int32_t base1 = i0 * s.stride1[0] + i1 * s.stride1[1] + i2 * s.stride1[2];
        const int32_t base2 = i0 * s.stride2[0] + i1 * s.stride2[1] + i2 * s.stride2[2];
        for (int32_t i3 = 0; i3 < s.shape[3]; ++i3) {
          *output++ = op(input1[base1 + i3 * s.stride1[3]], input2[base2 + i3 * s.stride2[3]]);
        }
      }
    }
  }
}

// Ops without parameters of their own (MAXIMUM, MINIMUM, float SQUARED_DIFFERENCE).
struct BinaryParams {
  int32_t count;
  const Broadcast* broadcast;
};

// ADD / SUB / MUL, float32: the fused activation's bounds.
struct BinaryFloatParams {
  int32_t count;
  const Broadcast* broadcast;
  float activation_min;
  float activation_max;
};

// MUL / DIV, int8: the inputs' offsets, one multiplier, the output offset and the fused activation's bounds.
struct BinaryInt8Params {
  int32_t count;
  const Broadcast* broadcast;
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t multiplier;
  int32_t shift;
  int32_t activation_min;
  int32_t activation_max;
};

#endif  // TINYFLASH_AOT_COMMON_BROADCAST_H_
