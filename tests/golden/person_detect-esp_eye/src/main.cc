// ESP-IDF entry point and tinyflash_board.h: UART0 (the console) through the UART driver, esp_timer for
// microseconds.
#include <stdio.h>
#include <stdlib.h>

#include "driver/uart.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "main_functions.h"
#include "tinyflash_board.h"

extern "C" {

namespace {
constexpr uart_port_t kConsole = UART_NUM_0;
constexpr int kReceiveBuffer = 2048;
}  // namespace

// The driver passes bytes through unchanged both ways: stdout would turn each \n into \r\n, which breaks
// the validate app's binary frames. The console's baud rate (115200) is already set at boot.
void board_init(void) {
  if (!uart_is_driver_installed(kConsole)) {
    uart_driver_install(kConsole, kReceiveBuffer, 0, 0, nullptr, 0);
  }
}

void board_write(const char* data, size_t length) { uart_write_bytes(kConsole, data, length); }

size_t board_read(uint8_t* data, size_t capacity) {
  const int count = uart_read_bytes(kConsole, data, capacity, 0);
  return count > 0 ? static_cast<size_t>(count) : 0;
}

uint32_t board_micros(void) { return static_cast<uint32_t>(esp_timer_get_time()); }

uint32_t board_ticks(void) { return static_cast<uint32_t>(esp_timer_get_time()); }

uint32_t board_ticks_per_second(void) { return 1000000u; }

void board_exit(int code) {
  char line[24];
  const int length = snprintf(line, sizeof line, "exit: %d\n", code);
  board_write(line, static_cast<size_t>(length));
  while (true) {
    vTaskDelay(portMAX_DELAY);
  }
}

static void RunModel(void*) {
  setup();
  while (true) {
    loop();
    // Yield one tick so the idle task runs and the task watchdog stays quiet.
    vTaskDelay(1);
  }
}

void app_main(void) {
  // The arena and interpreter live in static storage; the task needs stack for the kernels only.
  xTaskCreate(RunModel, "tinyflash", 8192, nullptr, 5, nullptr);
}

}  // extern "C"
