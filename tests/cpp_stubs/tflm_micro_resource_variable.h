// Stub for the host syntax check: what model_runtime_tflm.cc uses of TFLM's micro_resource_variable.h.
#pragma once
#include "tensorflow/lite/micro/micro_interpreter.h"
namespace tflite {
class MicroResourceVariables {
 public:
  static MicroResourceVariables* Create(MicroAllocator* allocator, int num_variables);
};
}  // namespace tflite
