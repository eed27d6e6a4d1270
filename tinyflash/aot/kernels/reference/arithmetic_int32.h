// ADD, SUB, MUL and DIV, int32 (shape arithmetic that does not fold away): two's-complement results that wrap, which
// is what TFLM's int32 kernels compute on every target (their overflow is undefined behaviour in C++; here it is
// defined), clamped to the bounds TFLM applies (ADD none, the others the fused activation's). DIV truncates toward
// zero as C++; a zero divisor, undefined in TFLM (a trap on the host), gives 0 here.
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

inline void DivInt32(const BinaryInt32Params& p, const int32_t* input1, const int32_t* input2, int32_t* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [&](int32_t a, int32_t b) {
    // INT32_MIN / -1 wraps to INT32_MIN (negating it as unsigned), as the other int32 ops wrap.
    const int32_t quotient = b == 0 ? 0 : (b == -1 ? static_cast<int32_t>(0u - static_cast<uint32_t>(a)) : a / b);
    return Clamp(quotient, p.activation_min, p.activation_max);
  });
}

#endif  // TINYFLASH_AOT_REFERENCE_ARITHMETIC_INT32_H_
