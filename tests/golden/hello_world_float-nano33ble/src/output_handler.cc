// Breathes the built-in LED with the sine wave (PWM duty = 127.5 * (y + 1)) and
// prints each prediction in the `label: value` form the Arduino serial plotter reads.
#include "output_handler.h"

#include <Arduino.h>

#include "serial_line.h"

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  if (!initialized) {
    pinMode(LED_BUILTIN, OUTPUT);
    initialized = true;
  }
  const int brightness = constrain(static_cast<int>(127.5f * (y_value + 1.0f)), 0, 255);
  analogWrite(LED_BUILTIN, brightness);
  SerialLine()
      .Text("x_value: ")
      .Float(x_value)
      .Text(" y_value: ")
      .Float(y_value)
      .Text(" brightness: ")
      .Int(brightness)
      .Send();
}
