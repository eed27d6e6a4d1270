// What the apps need from a board: a serial port, a microsecond clock and a way to stop.
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
uint32_t board_micros(void);
// Ends the program with an exit code where that means something (emulators, the
// host); a real board reports the code over serial and halts.
void board_exit(int code);

#ifdef __cplusplus
}
#endif

#endif  // TINYFLASH_BOARD_H_
