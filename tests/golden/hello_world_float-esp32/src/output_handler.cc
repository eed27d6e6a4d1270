// Logs each prediction over serial, one `key: value` line per inference.
#include "output_handler.h"

#include "serial_line.h"

void HandleOutput(float x_value, float y_value) {
  SerialLine().Text("x_value: ").Float(x_value).Text(" y_value: ").Float(y_value).Send();
}
