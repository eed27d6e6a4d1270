// CONCATENATION along one axis: for each of `outer` slices, each input contributes one run of bytes.
#ifndef TINYFLASH_AOT_REFERENCE_CONCATENATION_H_
#define TINYFLASH_AOT_REFERENCE_CONCATENATION_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ConcatenationParams {
  int32_t outer;
  int32_t inputs;
  const int32_t* run_bytes;  // per input
};

inline void Concatenate(const ConcatenationParams& p, const uint8_t* const* inputs, uint8_t* output) {
  for (int32_t o = 0; o < p.outer; ++o) {
    for (int32_t i = 0; i < p.inputs; ++i) {
      const size_t n = static_cast<size_t>(p.run_bytes[i]);
      memcpy(output, inputs[i] + static_cast<size_t>(o) * n, n);
      output += n;
    }
  }
}

#endif  // TINYFLASH_AOT_REFERENCE_CONCATENATION_H_
