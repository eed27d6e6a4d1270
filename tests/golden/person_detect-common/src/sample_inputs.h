// Fixed sample inputs for the inference app, generated with seed 20231.
#ifndef TINYFLASH_SAMPLE_INPUTS_H_
#define TINYFLASH_SAMPLE_INPUTS_H_

#include <stddef.h>

struct SampleInput {
  const void* data;
  size_t bytes;
};

constexpr size_t kSampleInputCount = 1;
extern const SampleInput kSampleInputs[kSampleInputCount];

#endif  // TINYFLASH_SAMPLE_INPUTS_H_
