// Shows one prediction of the sine model on the board: x in [0, 2π), y ≈ sin(x).
#ifndef TINYFLASH_OUTPUT_HANDLER_H_
#define TINYFLASH_OUTPUT_HANDLER_H_

void HandleOutput(float x_value, float y_value);

#endif  // TINYFLASH_OUTPUT_HANDLER_H_
