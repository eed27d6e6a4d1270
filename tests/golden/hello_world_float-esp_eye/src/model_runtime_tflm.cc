// model_runtime.h on TensorFlow Lite for Microcontrollers.
// TFLM first: an Arduino library's umbrella header must precede everything else (see tflm_headers.h).
#include "tflm_headers.h"

#include "model_data.h"
#include "model_runtime.h"
#include "serial_line.h"

namespace model {
namespace {

// 2,448 bytes: probed minimum + 512 B margin (`tinyflash inspect`).
constexpr size_t kArenaSize = 2448;
// What `tinyflash inspect` measured as the minimum; reported if allocation fails.
constexpr size_t kArenaMeasured = 1936;
alignas(16) uint8_t g_arena[kArenaSize];

using OpResolver = tflite::MicroMutableOpResolver<1>;

tflite::MicroInterpreter* g_interpreter = nullptr;

bool RegisterOps(OpResolver& resolver) {
  return resolver.AddFullyConnected() == kTfLiteOk;
}

Type ToType(TfLiteType type) {
  switch (type) {
    case kTfLiteInt8:
      return Type::kInt8;
    case kTfLiteUInt8:
      return Type::kUInt8;
    case kTfLiteInt16:
      return Type::kInt16;
    case kTfLiteInt32:
      return Type::kInt32;
    default:
      return Type::kFloat32;
  }
}

TensorView View(TfLiteTensor* tensor) {
  size_t element_size = 4;
  switch (tensor->type) {
    case kTfLiteInt8:
    case kTfLiteUInt8:
      element_size = 1;
      break;
    case kTfLiteInt16:
      element_size = 2;
      break;
    default:
      break;
  }
  return TensorView{tensor->data.data, ToType(tensor->type), tensor->bytes / element_size,
                    tensor->params.scale, tensor->params.zero_point};
}

}  // namespace

// tflite::InitializeTarget() is not called: board_init() has already opened the serial port, and on the
// Arduino libraries InitializeTarget() would only reopen it at 9600 baud.
bool Setup() {
  const tflite::Model* flatbuffer = tflite::GetModel(g_model_data);
  if (flatbuffer->version() != TFLITE_SCHEMA_VERSION) {
    SerialLine()
        .Text("error: model schema version ")
        .Uint(flatbuffer->version())
        .Text(" is not the supported ")
        .Uint(TFLITE_SCHEMA_VERSION)
        .Send();
    return false;
  }
  static OpResolver resolver;
  if (!RegisterOps(resolver)) {
    SerialLine().Text("error: registering the model's ops failed").Send();
    return false;
  }
  static tflite::MicroInterpreter interpreter(flatbuffer, resolver, g_arena, kArenaSize);
  if (interpreter.AllocateTensors() != kTfLiteOk) {
    SerialLine()
        .Text("error: AllocateTensors() failed with a ")
        .Uint(kArenaSize)
        .Text("-byte arena; tinyflash measured ")
        .Uint(kArenaMeasured)
        .Text(" bytes needed: rebuild with a larger --arena")
        .Send();
    return false;
  }
  g_interpreter = &interpreter;
  return true;
}

size_t InputCount() { return g_interpreter->inputs_size(); }
size_t OutputCount() { return g_interpreter->outputs_size(); }
TensorView Input(size_t index) { return View(g_interpreter->input(index)); }
TensorView Output(size_t index) { return View(g_interpreter->output(index)); }
bool Invoke() { return g_interpreter->Invoke() == kTfLiteOk; }
bool Reset() { return g_interpreter->Reset() == kTfLiteOk; }
size_t ArenaUsedBytes() { return g_interpreter->arena_used_bytes(); }

}  // namespace model
