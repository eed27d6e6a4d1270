// The one interface the apps (sine, inference, validate) use to run the model.
// Implemented once for TFLM (model_runtime_tflm.cc) and once per model by the
// ahead-of-time generator (model_aot.cc), so an app never knows which runtime it runs on.
#ifndef TINYFLASH_MODEL_RUNTIME_H_
#define TINYFLASH_MODEL_RUNTIME_H_

#include <stddef.h>
#include <stdint.h>

namespace model {

enum class Type : uint8_t { kFloat32, kInt8, kUInt8, kInt16, kInt32 };

// A model input or output. For quantized types, real = scale * (q - zero_point);
// float tensors have scale 0.
struct TensorView {
  void* data;
  Type type;
  size_t elements;
  float scale;
  int32_t zero_point;
};

// Prepares the runtime. On failure it has already reported why over serial.
bool Setup();
// Returns the model's state to what it is after Setup(): the variable tensors stateful ops (SVDF) keep from one
// Invoke() to the next, e.g. between two unrelated audio clips. Models without state have nothing to reset.
bool Reset();
size_t InputCount();
size_t OutputCount();
TensorView Input(size_t index);
TensorView Output(size_t index);
bool Invoke();
// Bytes of tensor arena the runtime really uses.
size_t ArenaUsedBytes();

#if defined(TINYFLASH_AOT_DEBUG)
// Debug builds of the AOT runtime (-DTINYFLASH_AOT_DEBUG) call this after every operator with its index,
// its builtin name and its output, e.g. to find the first layer that differs from the reference. The app
// defines it; without the macro the calls are compiled out.
void DebugOperatorOutput(size_t index, const char* op, const TensorView& output);
#endif

}  // namespace model

#endif  // TINYFLASH_MODEL_RUNTIME_H_
