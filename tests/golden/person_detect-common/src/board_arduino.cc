// tinyflash_board.h on the Arduino API: Serial both ways, micros() for time.
#include <Arduino.h>

#include "tinyflash_board.h"

extern "C" {

void board_init(void) {
  Serial.begin(115200);
  // A USB CDC port drops what is written before the host opens it: wait a little
  // for the monitor, but never block a board that runs without one.
  const unsigned long start = millis();
  while (!Serial && millis() - start < 3000) {
  }
}

void board_write(const char* data, size_t length) {
  Serial.write(reinterpret_cast<const uint8_t*>(data), length);
}

size_t board_read(uint8_t* data, size_t capacity) {
  size_t count = 0;
  while (count < capacity && Serial.available() > 0) {
    data[count++] = static_cast<uint8_t>(Serial.read());
  }
  return count;
}

uint32_t board_micros(void) { return micros(); }

uint32_t board_ticks(void) { return micros(); }

uint32_t board_ticks_per_second(void) { return 1000000u; }

void board_exit(int code) {
  Serial.print("exit: ");
  Serial.println(code);
  Serial.flush();
  while (true) {
    delay(1000);
  }
}

}  // extern "C"
