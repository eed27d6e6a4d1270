// What the apps need from a board: a serial port (both ways), clocks and a way to stop.
// Each platform implements it once (Arduino, ESP-IDF, the virtual boards).
#ifndef TINYFLASH_BOARD_H_
#define TINYFLASH_BOARD_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void board_init(void);
void board_write(const char* data, size_t length);
// Copies up to `capacity` bytes that have arrived on the serial port into `data`, without waiting;
// returns how many (0 when nothing is there).
size_t board_read(uint8_t* data, size_t capacity);
uint32_t board_micros(void);
// A free-running counter for timing short intervals, and its rate: finer than board_micros() where the
// board has a faster clock (the virtual Cortex-M boards count SysTick at 25 MHz: under QEMU's -icount
// shift=0 one tick is 40 instructions). An interval is the difference of two readings (modulo 2^32).
uint32_t board_ticks(void);
uint32_t board_ticks_per_second(void);
// Ends the program with an exit code where that means something (emulators, the
// host); a real board reports the code over serial and halts.
void board_exit(int code);

#ifdef __cplusplus
}
#endif

#endif  // TINYFLASH_BOARD_H_
