// Runs generated models on a virtual Cortex-M board for the tests: for each case and run, copies the run's
// input bytes into the model's inputs, invokes it, and prints one line "case run" then each output's bytes
// in hex. cases.inc (written by qemu_support.run_models) declares the models and the kCases table.
#include <string.h>

#include "model_runtime.h"
#include "tinyflash_board.h"

struct Runtime {
  bool (*setup)();
  model::TensorView (*input)(size_t);
  model::TensorView (*output)(size_t);
  bool (*invoke)();
};

struct Case {
  Runtime runtime;
  const uint8_t* inputs;  // every run's inputs, one after the other
  size_t runs;
  const uint32_t* input_bytes;
  size_t input_count;
  const uint32_t* output_bytes;
  size_t output_count;
};

#include "cases.inc"

namespace {

void Write(const char* text) { board_write(text, strlen(text)); }

void WriteNumber(size_t n) {
  char digits[12];
  size_t i = sizeof(digits);
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  board_write(digits + i, sizeof(digits) - i);
}

void WriteHex(const void* data, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) {
    const char pair[2] = {kDigits[bytes[i] >> 4], kDigits[bytes[i] & 15]};
    board_write(pair, 2);
  }
}

}  // namespace

extern "C" void setup(void) {
  board_init();
  for (size_t c = 0; c < sizeof(kCases) / sizeof(kCases[0]); ++c) {
    const Case& k = kCases[c];
    const uint8_t* input = k.inputs;
    if (!k.runtime.setup()) {
      Write("setup failed\n");
      board_exit(1);
    }
    for (size_t run = 0; run < k.runs; ++run) {
      for (size_t i = 0; i < k.input_count; ++i) {
        memcpy(k.runtime.input(i).data, input, k.input_bytes[i]);
        input += k.input_bytes[i];
      }
      if (!k.runtime.invoke()) {
        Write("invoke failed\n");
        board_exit(1);
      }
      WriteNumber(c);
      Write(" ");
      WriteNumber(run);
      for (size_t o = 0; o < k.output_count; ++o) {
        Write(" ");
        WriteHex(k.runtime.output(o).data, k.output_bytes[o]);
      }
      Write("\n");
    }
  }
  Write("done\n");
  board_exit(0);
}

extern "C" void loop(void) {}
