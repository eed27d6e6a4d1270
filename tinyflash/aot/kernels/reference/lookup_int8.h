// Elementwise ops of one int8 input, by a 256-entry table computed at generation time: table[q + 128] is the
// output for input q. DEQUANTIZE: (float)(scale * (q - zero_point)) in double (exact, and cheaper than double math
// on a Cortex-M4). ABS, LEAKY_RELU, HARD_SWISH: TFLM's integer result (aot/tables.py), checked against TFLM
// for every input by the tests.
#ifndef TINYFLASH_AOT_REFERENCE_LOOKUP_INT8_H_
#define TINYFLASH_AOT_REFERENCE_LOOKUP_INT8_H_

#include <stdint.h>

struct LookupInt8Params {
  int32_t count;
  const int8_t* table;
};

struct DequantizeInt8Params {
  int32_t count;
  const float* table;
};

template <typename T>
inline void LookupByInt8(int32_t count, const T* table, const int8_t* input, T* output) {
  for (int32_t i = 0; i < count; ++i) {
    output[i] = table[input[i] + 128];
  }
}

inline void LookupInt8(const LookupInt8Params& p, const int8_t* input, int8_t* output) {
  LookupByInt8(p.count, p.table, input, output);
}

inline void DequantizeInt8(const DequantizeInt8Params& p, const int8_t* input, float* output) {
  LookupByInt8(p.count, p.table, input, output);
}

#endif  // TINYFLASH_AOT_REFERENCE_LOOKUP_INT8_H_
