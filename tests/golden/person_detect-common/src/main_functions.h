// The book's two entry points: setup() once, then loop() forever.
#ifndef TINYFLASH_MAIN_FUNCTIONS_H_
#define TINYFLASH_MAIN_FUNCTIONS_H_

#ifdef __cplusplus
extern "C" {
#endif

void setup(void);
void loop(void);

#ifdef __cplusplus
}
#endif

#endif  // TINYFLASH_MAIN_FUNCTIONS_H_
