// ADD, SUB and MUL, int32 (shape arithmetic that does not fold away): two's-complement results that wrap, which is
// what TFLM's int32 kernels compute on every target (their overflow is undefined behaviour in C++; here it is
// defined), clamped to the bounds TFLM applies (ADD none, SUB and MUL the fused activation's).
#ifndef TINYFLASH_AOT_REFERENCE_ARITHMETIC_INT32_H_
#define TINYFLASH_AOT_REFERENCE_ARITHMETIC_INT32_H_

#include <stdint.h>

#include "common/broadcast.h"
#include "common/fixedpoint.h"

struct BinaryInt32Params {
  int32_t count;
  const Broadcast* broadcast;
  int32_t activation_min;
  int32_t activation_max;
};

template <typename Op>
inline void ArithmeticInt32(const BinaryInt32Params& p, const int32_t* input1, const int32_t* input2, int32_t* output,
                            Op op) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [&](int32_t a, int32_t b) {
    const uint32_t wrapped = op(static_cast<uint32_t>(a), static_cast<uint32_t>(b));
    return Clamp(static_cast<int32_t>(wrapped), p.activation_min, p.activation_max);
  });
}

inline void AddInt32(const BinaryInt32Params& p, const int32_t* input1, const int32_t* input2, int32_t* output) {
  ArithmeticInt32(p, input1, input2, output, [](uint32_t a, uint32_t b) { return a + b; });
}

inline void SubInt32(const BinaryInt32Params& p, const int32_t* input1, const int32_t* input2, int32_t* output) {
  ArithmeticInt32(p, input1, input2, output, [](uint32_t a, uint32_t b) { return a - b; });
}

inline void MulInt32(const BinaryInt32Params& p, const int32_t* input1, const int32_t* input2, int32_t* output) {
  ArithmeticInt32(p, input1, input2, output, [](uint32_t a, uint32_t b) { return a * b; });
}

#endif  // TINYFLASH_AOT_REFERENCE_ARITHMETIC_INT32_H_
