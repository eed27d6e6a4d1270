// The TFLM headers model_runtime_tflm.cc uses, included as a system header: src/ builds with -Wall -Wextra
// so that your code's warnings show, and TFLM's headers (unused parameters in its inline functions) would
// otherwise add theirs. Only headers included from here are affected, and only warnings.
#ifndef TINYFLASH_TFLM_HEADERS_H_
#define TINYFLASH_TFLM_HEADERS_H_

#pragma GCC system_header

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#endif  // TINYFLASH_TFLM_HEADERS_H_
