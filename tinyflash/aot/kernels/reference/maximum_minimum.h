// MAXIMUM and MINIMUM, any element type: TFLM compares the raw values (int8 too: no requantization), with
// `a > b ? a : b` and `a < b ? a : b`.
#ifndef TINYFLASH_AOT_REFERENCE_MAXIMUM_MINIMUM_H_
#define TINYFLASH_AOT_REFERENCE_MAXIMUM_MINIMUM_H_

#include "common/broadcast.h"

template <typename T>
inline void Maximum(const BinaryParams& p, const T* input1, const T* input2, T* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [](T a, T b) { return a > b ? a : b; });
}

template <typename T>
inline void Minimum(const BinaryParams& p, const T* input1, const T* input2, T* output) {
  BinaryOp(p.broadcast, p.count, input1, input2, output, [](T a, T b) { return a < b ? a : b; });
}

#endif  // TINYFLASH_AOT_REFERENCE_MAXIMUM_MINIMUM_H_
